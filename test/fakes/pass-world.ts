import { DeployError } from '../../src/errors.js';
import type { DeployItem } from '../../src/deploy/deployer.js';
import type { IssueRequest, IssuedSet, PassDeps } from '../../src/scheduler/ports.js';
import type { CertificateMeta, StoredCertificate } from '../../src/store/certs.js';
import type { CertState } from '../../src/store/state.js';
import { readCertificateInfo } from '../../src/store/x509.js';
import { makeCertificate } from './certs.js';

export const CA = 'https://ca.test/directory';
export const ACCOUNT = 'https://ca.test/acct/1';

/**
 * An in-memory store, issuer and deployer for unit tests of the pass: what was ordered, stored and
 * deployed is recorded; failures and answers are set per certificate name.
 */
export interface FakeWorld {
  deps: PassDeps;
  stored: Map<string, StoredCertificate>;
  state: Map<string, CertState>;
  orders: IssueRequest[];
  deploys: string[][];
  /** Names whose order throws this error. */
  failIssue: Map<string, unknown>;
  /** Names whose deploy fails. */
  failDeploy: Set<string>;
  /** Names whose deployed files differ from the store. */
  differs: Set<string>;
  /** ARI certIDs the issuer reports per name. */
  certIds: Map<string, string>;
  /** Replaces the certificate the CA hands out (a tampered answer). */
  answer?: (req: IssueRequest, honest: IssuedSet) => Promise<IssuedSet>;
  /** The account the issuer reports (null: none registered yet). */
  account: string | null;
  /** The order for this name waits for the promise before answering (an order held in flight). */
  hold: Map<string, Promise<void>>;
  seed(name: string, domains: string[], opts?: { notBefore?: Date; days?: number; meta?: Partial<CertificateMeta> }): Promise<StoredCertificate>;
}

export function fakeWorld(): FakeWorld {
  const w: FakeWorld = {
    stored: new Map(),
    state: new Map(),
    orders: [],
    deploys: [],
    failIssue: new Map(),
    failDeploy: new Set(),
    differs: new Set(),
    certIds: new Map(),
    account: ACCOUNT,
    hold: new Map(),
    seed: async (name, domains, opts = {}) => {
      const made = await makeCertificate(domains, { notBefore: opts.notBefore, days: opts.days });
      return save(name, made.fullchainPem, made.keyPem!, { domains, keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: CA, account: ACCOUNT, ...opts.meta });
    },
    deps: undefined as unknown as PassDeps,
  };
  const save = async (name: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): Promise<StoredCertificate> => {
    const cert = { name, dir: `/fake/${name}`, fullchainPem, keyPem, info: readCertificateInfo(fullchainPem), meta };
    w.stored.set(name, cert);
    return cert;
  };
  let orderNo = 0;
  w.deps = {
    store: {
      certs: {
        read: async (name) => {
          const c = w.stored.get(name);
          return c ? { state: 'ok', cert: c } : { state: 'missing' };
        },
        save,
      },
      state: {
        get: (name) => ({ ...(w.state.get(name) ?? { failures: 0 }) }),
        update: async (name, fn) => {
          const next = fn({ ...(w.state.get(name) ?? { failures: 0 }) });
          w.state.set(name, next);
          return next;
        },
      },
    },
    issuer: {
      identity: async () => ({ directory: CA, account: w.account }),
      renewalInfo: async (name) => ({ certId: w.certIds.get(name) }),
      issue: async (req, { signal, onStep }) => {
        w.orders.push(req);
        onStep?.('ordering');
        await w.hold.get(req.cert.name);
        if (signal.aborted) throw new Error('aborted');
        if (w.failIssue.has(req.cert.name)) throw w.failIssue.get(req.cert.name);
        const made = await makeCertificate(req.cert.domains);
        const honest = { fullchainPem: made.fullchainPem, keyPem: made.keyPem!, orderUrl: `${CA}/order/${++orderNo}`, directory: CA, account: w.account ?? ACCOUNT };
        onStep?.('issued');
        return w.answer ? w.answer(req, honest) : honest;
      },
    },
    deployer: {
      matches: async (cert) => !w.differs.has(cert.name),
      deploy: async (items: DeployItem[]) => {
        w.deploys.push(items.map((i) => i.cert.name));
        return items.map((i) => (w.failDeploy.has(i.cert.name) ? { name: i.cert.name, ok: false, error: new DeployError('nginx -t failed') } : { name: i.cert.name, ok: true }));
      },
      reloads: () => true,
    },
  };
  return w;
}
