/** A DER element (X.690): its one-byte tag and its content. */
export interface Der {
  tag: number;
  content: Uint8Array;
}

/** The DER elements in `buf` from `at` on (one level, definite lengths only). */
export function children(buf: Uint8Array | Der, at: number): Der[] {
  const b = 'tag' in buf ? buf.content : buf;
  const out: Der[] = [];
  while (at < b.length) {
    const tag = b[at]!;
    let len = b[at + 1]!;
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new Error('unsupported DER length');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + b[start + k]!;
      start += n;
    }
    if (start + len > b.length) throw new Error('truncated DER');
    out.push({ tag, content: b.subarray(start, start + len) });
    at = start + len;
  }
  return out;
}

/**
 * The elements of `buf` (one level) when it is strict DER: one-byte tags, definite lengths in their
 * shortest form, every byte used. Undefined for anything else (BER, truncation), so that a reader
 * that must be exact steps aside instead of guessing what OpenSSL would make of it.
 */
export function strictChildren(b: Uint8Array | undefined): Der[] | undefined {
  if (!b) return undefined;
  const out: Der[] = [];
  let at = 0;
  while (at < b.length) {
    const tag = b[at]!;
    if ((tag & 0x1f) === 0x1f || at + 1 >= b.length) return undefined;
    let len = b[at + 1]!;
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || start + n > b.length || b[start] === 0) return undefined;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + b[start + k]!;
      if (len < 0x80) return undefined;
      start += n;
    }
    if (start + len > b.length) return undefined;
    out.push({ tag, content: b.subarray(start, start + len) });
    at = start + len;
  }
  return out;
}

/** The elements inside `el` when it has tag `tag` and is strict DER inside; else undefined. */
export function strictInside(el: Der | undefined, tag: number): Der[] | undefined {
  return el?.tag === tag ? strictChildren(el.content) : undefined;
}

/** An OBJECT IDENTIFIER's content as X.690 §8.19 has it: subidentifiers in shortest form, the last one ended. */
export function isOid(content: Uint8Array): boolean {
  if (content.length === 0 || content[content.length - 1]! & 0x80) return false;
  for (let i = 0; i < content.length; i++) if (content[i] === 0x80 && (i === 0 || !(content[i - 1]! & 0x80))) return false;
  return true;
}

/** A non-negative INTEGER's content in its shortest form (X.690 §8.3.2); false for a negative one. */
export function isUnsigned(content: Uint8Array): boolean {
  if (content.length === 0 || content[0]! & 0x80) return false;
  return !(content[0] === 0 && content.length > 1 && !(content[1]! & 0x80));
}

/** The magnitude of a non-negative INTEGER's content: without the 0x00 that keeps it positive. */
export function magnitude(content: Uint8Array): Uint8Array {
  return content[0] === 0 ? content.subarray(1) : content;
}

/** Lower-case hex of bytes (a serial, a key's parts). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** Whether an element's content is exactly these bytes (an OID's, say). */
export function same(content: Uint8Array, bytes: Uint8Array): boolean {
  if (content.length !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (content[i] !== bytes[i]) return false;
  return true;
}

/** Bytes of ASCII or Latin-1 text as a string (short ones: names, dates, OIDs as map keys). */
export function latin1(bytes: Uint8Array): string {
  return bytes.length > 256 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1') : String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** A plain Uint8Array view: Buffer's own subarray is several times slower than the typed array's. */
export function view(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
