import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Request authentication shared by the Alibaba Cloud and Tencent Cloud stand-ins: which keys exist
 * (long-lived, or temporary with a token handed out by a metadata stand-in), the Alibaba RPC
 * signature v1 and the Tencent TC3-HMAC-SHA256 signature, the timestamp windows and the error codes
 * each vendor answers with.
 */

interface KeyEntry {
  secret: string;
  /** Temporary keys only: the token that must come with them, and when they stop working. */
  token?: string;
  expiresAt?: number;
  revoked?: boolean;
}

export type KeyProblem = 'unknownKey' | 'tokenMissing' | 'tokenMismatch' | 'tokenExpired';

/** The keys a cloud account accepts. Several stand-ins (and metadata servers) can share one. */
export class CredentialStore {
  private keys = new Map<string, KeyEntry>();
  constructor(private readonly now: () => number = Date.now) {}

  addStatic(id: string, secret: string): this {
    this.keys.set(id, { secret });
    return this;
  }

  addTemporary(id: string, secret: string, token: string, expiresAt: number): void {
    this.keys.set(id, { secret, token, expiresAt });
  }

  /** Makes every temporary key handed out so far unusable at once (as if the role's session was revoked). */
  revokeTemporary(): void {
    for (const e of this.keys.values()) if (e.token) e.revoked = true;
  }

  check(id: string, token: string | undefined): { secret: string } | { problem: KeyProblem } {
    const e = this.keys.get(id);
    if (!e || e.revoked) return { problem: 'unknownKey' };
    if (e.token === undefined) return { secret: e.secret };
    if (!token) return { problem: 'tokenMissing' };
    if (token !== e.token) return { problem: 'tokenMismatch' };
    if (this.now() >= e.expiresAt!) return { problem: 'tokenExpired' };
    return { secret: e.secret };
  }
}

export interface AuthFailure {
  status: number;
  code: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Alibaba Cloud RPC signature v1 (help.aliyun.com/en/document_detail/130769.html; @alicloud/pop-core lib/rpc.js)

/** RFC 3986 encoding as the RPC signature wants it: encodeURIComponent plus !'()*. */
export function rpcEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function rpcSignature(method: string, params: Record<string, string>, secret: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${rpcEncode(k)}=${rpcEncode(params[k]!)}`)
    .join('&');
  const toSign = `${method}&${rpcEncode('/')}&${rpcEncode(canonical)}`;
  return createHmac('sha1', `${secret}&`).update(toSign).digest('base64');
}

/** The request's parameters, from the query string (GET) or the form body (POST), as pop-core sends them. */
export function rpcParams(method: string, url: string | undefined, body: string): Record<string, string> {
  const source = method === 'POST' ? new URLSearchParams(body) : new URL(url ?? '/', 'http://x').searchParams;
  const p: Record<string, string> = {};
  for (const [k, v] of source) p[k] = v;
  return p;
}

const missing = (k: string): AuthFailure => ({
  status: 400,
  code: 'MissingParameter',
  message: `The input parameter "${k}" that is mandatory for processing this request is not supplied.`,
});

/**
 * Checks an RPC request the way the Alibaba Cloud gateway does, in its order: common parameters,
 * version, signature method, timestamp (15-minute window), key, security token, signature, nonce.
 * Codes: help.aliyun.com/en/dns/error-code (common), alibabacloud.com/help/en/ram/common-parameters-2;
 * the InvalidSecurityToken.* codes as SDKs and tools match them (e.g. credentials-go, terraform).
 */
export function verifyRpc(
  method: string,
  p: Record<string, string>,
  o: { version: string; credentials: CredentialStore; nonces: Set<string>; now: () => number },
): AuthFailure | undefined {
  for (const k of ['Action', 'Format', 'Version', 'AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp']) {
    if (!p[k]) return missing(k);
  }
  if (p.Version !== o.version) return { status: 400, code: 'InvalidVersion', message: 'Specified parameter Version is not valid.' };
  if (p.SignatureMethod !== 'HMAC-SHA1' || p.SignatureVersion !== '1.0') {
    return { status: 400, code: 'InvalidSignatureMethod', message: 'Specified signature method is not valid.' };
  }
  const ts = Date.parse(p.Timestamp!);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(p.Timestamp!) || Number.isNaN(ts)) {
    return { status: 400, code: 'InvalidTimeStamp.Format', message: 'Specified time stamp or date value is not well formatted.' };
  }
  if (Math.abs(o.now() - ts) > 15 * 60_000) return { status: 400, code: 'InvalidTimeStamp.Expired', message: 'Specified time stamp or date value is expired.' };
  const key = o.credentials.check(p.AccessKeyId!, p.SecurityToken);
  if ('problem' in key) {
    switch (key.problem) {
      case 'unknownKey':
        return { status: 404, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
      case 'tokenMissing':
        return { status: 400, code: 'MissingSecurityToken', message: 'SecurityToken is mandatory for this action.' };
      case 'tokenMismatch':
        return { status: 400, code: 'InvalidSecurityToken.MismatchWithAccessKey', message: 'Specified SecurityToken mismatch with the AccessKey.' };
      case 'tokenExpired':
        return { status: 400, code: 'InvalidSecurityToken.Expired', message: 'Specified SecurityToken is expired.' };
    }
  }
  if (p.Signature !== rpcSignature(method, p, key.secret)) {
    return {
      status: 400,
      code: 'SignatureDoesNotMatch',
      message: `Specified signature is not matched with our calculation. server string to sign is:${method}&%2F&AccessKeyId%3D${p.AccessKeyId}`,
    };
  }
  if (o.nonces.has(p.SignatureNonce!)) return { status: 400, code: 'SignatureNonceUsed', message: 'Specified signature nonce was used already.' };
  o.nonces.add(p.SignatureNonce!);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tencent Cloud TC3-HMAC-SHA256 (cloud.tencent.com/document/api/1427/56189; tencentcloud-sdk-nodejs-common common/sign.js)

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export function tc3Signature(o: { secretKey: string; contentType: string; host: string; body: Buffer | string; timestamp: number; service: string }): string {
  const canonical = `POST\n/\n\ncontent-type:${o.contentType}\nhost:${o.host}\n\ncontent-type;host\n${sha256(o.body)}`;
  const date = new Date(o.timestamp * 1000).toISOString().slice(0, 10);
  const toSign = `TC3-HMAC-SHA256\n${o.timestamp}\n${date}/${o.service}/tc3_request\n${sha256(canonical)}`;
  const kDate = hmac(`TC3${o.secretKey}`, date);
  const kSigning = hmac(hmac(kDate, o.service), 'tc3_request');
  return createHmac('sha256', kSigning).update(toSign).digest('hex');
}

/**
 * Checks a TC3 request as the Tencent Cloud gateway does: POST, action and version headers,
 * Authorization form, 5-minute timestamp window, key and X-TC-Token (temporary keys), signature.
 * The signing service is the first label of the host, as the SDK derives it ("127" when pointed at
 * 127.0.0.1); the signed host has no port. Codes: Tencent Cloud's common error codes (AuthFailure.*).
 * Returns the action, or the error (all answered at HTTP 200, as the real API does).
 */
export function verifyTc3(
  req: IncomingMessage,
  raw: Buffer,
  o: { version: string; credentials: CredentialStore; now: () => number },
): { action: string } | { code: string; message: string } {
  if (req.method !== 'POST') return { code: 'UnsupportedProtocol', message: 'Only POST is supported by this stand-in.' };
  const action = String(req.headers['x-tc-action'] ?? '');
  const version = String(req.headers['x-tc-version'] ?? '');
  const tsHeader = String(req.headers['x-tc-timestamp'] ?? '');
  const auth = String(req.headers.authorization ?? '');
  const contentType = String(req.headers['content-type'] ?? '');
  if (!action) return { code: 'MissingParameter', message: 'The request is missing a required parameter `X-TC-Action`.' };
  if (version !== o.version) return { code: 'InvalidParameterValue', message: `The value of X-TC-Version (${version}) is not supported.` };
  const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([^/]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { code: 'AuthFailure.InvalidAuthorization', message: 'Authorization header is not of the TC3-HMAC-SHA256 form.' };
  const [, secretId, date, service, signedHeaders, signature] = m;
  const ts = Number(tsHeader);
  if (!/^\d+$/.test(tsHeader) || Math.abs(o.now() / 1000 - ts) > 300) {
    return { code: 'AuthFailure.SignatureExpire', message: 'Signature expired. Timestamp is out of the 5-minute window.' };
  }
  const key = o.credentials.check(secretId!, req.headers['x-tc-token'] as string | undefined);
  if ('problem' in key) {
    if (key.problem === 'unknownKey') return { code: 'AuthFailure.SecretIdNotFound', message: 'The SecretId is not found, please ensure that your SecretId is correct.' };
    const why = key.problem === 'tokenExpired' ? 'The token has expired.' : key.problem === 'tokenMissing' ? 'The token is missing.' : 'The token is invalid.';
    return { code: 'AuthFailure.TokenFailure', message: why };
  }
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const expectedService = host.split('.')[0]!;
  const expected = tc3Signature({ secretKey: key.secret, contentType, host, body: raw, timestamp: ts, service: expectedService });
  if (signedHeaders !== 'content-type;host' || service !== expectedService || date !== new Date(ts * 1000).toISOString().slice(0, 10) || signature !== expected) {
    return { code: 'AuthFailure.SignatureFailure', message: 'The provided credentials could not be validated. Please check your signature is correct.' };
  }
  return { action };
}
