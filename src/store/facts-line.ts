import type { CertificateMeta } from './certs.js';

/**
 * A certificate's meta.json as tab-separated fields, for the facts index: `status` and a pass over
 * 10,000 certificates decode every line, and splitting a line costs a fraction of a JSON.parse of the
 * same meta (fewer objects, no copied strings). Only a meta of exactly the known fields, plain strings
 * without tabs or line breaks, is written so; it is decoded again at once and kept only if the decoded
 * meta is the same JSON, so anything else (a field added later, an unusual name) stays JSON.
 */
const MARK = 'f1';

/** The fields in order; '' stands for an absent optional one (a present one is never empty). keySha256 is required. */
const FIELDS = 20;

export function encodeMeta(meta: CertificateMeta): string | undefined {
  const c = meta.cached;
  if (!c) return undefined;
  const fields = [
    MARK,
    list(meta.domains),
    meta.keyType,
    meta.issuedAt,
    meta.directory,
    meta.account ?? '',
    meta.orderUrl ?? '',
    meta.revoked?.at ?? '',
    meta.revoked?.reason ?? '',
    c.sha256,
    c.keySha256,
    list(c.names),
    c.issuer,
    c.notBefore,
    c.notAfter,
    c.serial,
    c.keyType,
    c.fingerprint256,
    c.certId ?? '',
    '', // ends the line: a line cut short has fewer fields
  ];
  if (!fields.every((f) => typeof f === 'string' && !/[\t\n\r]/.test(f))) return undefined;
  const text = fields.join('\t');
  const back = decodeMeta(text, 0, text.length);
  return back && JSON.stringify(back) === JSON.stringify(meta) ? text : undefined;
}

/** The meta encoded in `text` from `at` to `end`; undefined when it is not a whole line of this form. */
export function decodeMeta(text: string, at: number, end: number): CertificateMeta | undefined {
  const f = text.slice(at, end).split('\t');
  if (f.length !== FIELDS || f[0] !== MARK || f[FIELDS - 1] !== '') return undefined;
  const meta: CertificateMeta = { domains: f[1]!.split(' '), keyType: f[2]!, issuedAt: f[3]!, directory: f[4]! };
  if (f[5]) meta.account = f[5];
  if (f[6]) meta.orderUrl = f[6];
  // In the order save() writes them, `revoked` last as markRevoked adds it: the round trip in
  // encodeMeta compares the order too.
  meta.cached = { sha256: f[9]!, keySha256: f[10]!, names: f[11]!.split(' '), issuer: f[12]!, notBefore: f[13]!, notAfter: f[14]!, serial: f[15]!, keyType: f[16]!, fingerprint256: f[17]! };
  if (f[18]) meta.cached.certId = f[18];
  if (f[7]) meta.revoked = { at: f[7], reason: f[8]! };
  return meta;
}

/** Names joined by spaces; undefined (so the meta stays JSON) for a list a space could not carry. */
function list(names: string[] | undefined): string | undefined {
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '' || n.includes(' '))) return undefined;
  return names.join(' ');
}
