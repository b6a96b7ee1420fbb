import { spawn } from 'node:child_process';
import { DeployError } from '../errors.js';

/**
 * PKCS#12 (.pfx) for IIS / Windows hosts, built by `openssl pkcs12 -export`. The key and chain go in
 * on stdin and the password through the child's environment, so neither touches the disk or argv.
 * node-forge cannot take ECDSA keys (certkeeper's default), so OpenSSL it is. `legacy` picks
 * 3DES/SHA1, which Windows Server 2016 and older need; the default is OpenSSL 3's AES-256/SHA-256.
 */
export function buildPfx(fullchainPem: string, keyPem: string, opts: { password: string; friendlyName: string; legacy?: boolean; timeoutMs?: number }): Promise<Buffer> {
  const args = ['pkcs12', '-export', '-passout', 'env:CERTKEEPER_PFX_PASSWORD', '-name', opts.friendlyName];
  if (opts.legacy) args.push('-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1');
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, {
      env: { PATH: process.env.PATH, CERTKEEPER_PFX_PASSWORD: opts.password },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    child.on('error', (e) => reject(new DeployError(`cannot run openssl to build the pfx file: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      if (code === 0 && out.length) resolve(Buffer.concat(out));
      else reject(new DeployError(`openssl pkcs12 -export failed (${code === null ? 'killed' : `exit ${code}`}): ${err.trim().split('\n')[0] ?? ''}`));
    });
    child.stdin.on('error', () => undefined); // a failed child closes stdin early; the close handler reports it
    child.stdin.end(`${keyPem.trim()}\n${fullchainPem}`);
  });
}
