/**
 * Reads the server's Certificate handshake message out of the raw bytes a TLS ≤ 1.2 server sends
 * before ChangeCipherSpec (RFC 5246 §6.2.1 records, §7.4 handshake framing, §7.4.2 certificate_list).
 * Returns the DER certificates in the order the server sent them, or undefined when the bytes hold no
 * plaintext Certificate message (TLS 1.3 encrypts it, RFC 8446 §4.4.2).
 */
export function certificatesFromHandshake(bytes: Buffer): Buffer[] | undefined {
  const handshake: Buffer[] = [];
  let off = 0;
  while (off + 5 <= bytes.length) {
    const type = bytes[off]!;
    const len = bytes.readUInt16BE(off + 3);
    if (off + 5 + len > bytes.length) break;
    // 22 = handshake; anything else (20 ChangeCipherSpec, 21 alert, 23 data) ends the plaintext part.
    if (type !== 22) break;
    handshake.push(bytes.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  const hs = Buffer.concat(handshake);
  let p = 0;
  while (p + 4 <= hs.length) {
    const msgType = hs[p]!;
    const msgLen = hs.readUIntBE(p + 1, 3);
    if (p + 4 + msgLen > hs.length) return undefined;
    if (msgType === 11) return parseCertificateList(hs.subarray(p + 4, p + 4 + msgLen));
    p += 4 + msgLen;
  }
  return undefined;
}

function parseCertificateList(body: Buffer): Buffer[] | undefined {
  if (body.length < 3) return undefined;
  const total = body.readUIntBE(0, 3);
  if (total + 3 > body.length) return undefined;
  const out: Buffer[] = [];
  let p = 3;
  while (p + 3 <= 3 + total) {
    const len = body.readUIntBE(p, 3);
    out.push(Buffer.from(body.subarray(p + 3, p + 3 + len)));
    p += 3 + len;
  }
  return out.length ? out : undefined;
}
