import { checkedForStore, storedFromParts, type CertificateMeta, type ReadResult, type StoredCertificate } from '../certs.js';
import type { CertificateRepo, StoredVersion } from '../store.js';
import { StoreError } from '../../errors.js';
import type { Database } from './db.js';
import type { Tables } from './migrations.js';
import { open, seal } from './sealed.js';

/** How many versions of a certificate are kept (the current one and four before it), as in dataDir/archive. */
const KEEP_VERSIONS = 5;
/** How long storing a just-issued certificate keeps trying while the database is away. */
const SAVE_RETRY_MS = 10 * 60_000;

interface Row {
  fullchain: string;
  key_sealed: Buffer;
  meta: CertificateMeta;
  fingerprint: string;
}

/** The private key of a certificate is sealed for this certificate and this certificate only. */
const keyAad = (name: string, fingerprint: string) => `certkeeper:certificate:${name}:${fingerprint}`;

/**
 * Certificates in PostgreSQL: one row per version (the newest is current), the chain in clear, the
 * private key sealed under store.encryptionKey. Storing a version and announcing it (NOTIFY, which
 * PostgreSQL delivers at commit) happen in one transaction, so a host that hears of a version can
 * always read it.
 */
export class PgCertificates implements CertificateRepo {
  constructor(
    private readonly db: Database,
    private readonly t: Tables,
    private readonly key: Buffer,
    private readonly opts: { node: string; channel: string },
  ) {}

  async read(name: string): Promise<ReadResult> {
    const { rows } = await this.db.query<Row>(`SELECT fullchain, key_sealed, meta, fingerprint FROM ${this.t.certificates} WHERE name = $1 ORDER BY version DESC LIMIT 1`, [name]);
    const row = rows[0];
    if (!row) return { state: 'missing' };
    return this.fromRow(name, row);
  }

  async save(name: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): Promise<StoredCertificate> {
    const checked = checkedForStore(name, fullchainPem, keyPem, meta);
    const { info } = checked;
    const sealed = seal(this.key, keyPem, keyAad(name, info.fingerprint256));
    // An issued certificate is worth waiting for the database (SAVE_RETRY_MS): ordering it again would cost a duplicate at the CA.
    await this.db.tx(async (c) => {
      // The same certificate twice (a save retried after its answer was lost) is one version.
      const added = await c.query(
        `INSERT INTO ${this.t.certificates} (name, fullchain, key_sealed, meta, serial, fingerprint, not_after, stored_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name, fingerprint) DO NOTHING`,
        [name, checked.fullchainPem, sealed, JSON.stringify(checked.meta), info.serial, info.fingerprint256, info.notAfter, this.opts.node],
      );
      if (!added.rowCount) return;
      await c.query(
        `DELETE FROM ${this.t.certificates} WHERE name = $1 AND version NOT IN (SELECT version FROM ${this.t.certificates} WHERE name = $1 ORDER BY version DESC LIMIT ${KEEP_VERSIONS})`,
        [name],
      );
      await c.query('SELECT pg_notify($1, $2)', [this.opts.channel, JSON.stringify({ name, serial: info.serial, node: this.opts.node })]);
    }, { retryMs: SAVE_RETRY_MS });
    return { name, dir: this.where(name), fullchainPem: checked.fullchainPem, keyPem, info, meta: checked.meta };
  }

  async list(): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(`SELECT DISTINCT name FROM ${this.t.certificates} ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async versions(name: string): Promise<StoredVersion[]> {
    const { rows } = await this.db.query<Row>(`SELECT fullchain, key_sealed, meta, fingerprint FROM ${this.t.certificates} WHERE name = $1 ORDER BY version`, [name]);
    return rows.flatMap((r) => {
      const keyPem = open(this.key, r.key_sealed, keyAad(name, r.fingerprint));
      return keyPem === undefined ? [] : [{ fullchainPem: r.fullchain, keyPem, meta: r.meta }];
    });
  }

  async markRevoked(name: string, revoked: { at: string; reason: string }): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE ${this.t.certificates} SET meta = meta || jsonb_build_object('revoked', $2::jsonb)
       WHERE name = $1 AND version = (SELECT max(version) FROM ${this.t.certificates} WHERE name = $1)`,
      [name, JSON.stringify(revoked)],
    );
    if (!rowCount) throw new StoreError(`${name}: cannot mark the certificate revoked in ${this.db.where}: it is no longer stored`);
  }

  /** Every version, and what each host deployed of it, in one transaction: the fleet stops deploying it at once. */
  async remove(name: string): Promise<void> {
    await this.db.tx(async (c) => {
      for (const table of [this.t.certificates, this.t.deployments, this.t.behindAlerts]) await c.query(`DELETE FROM ${table} WHERE name = $1`, [name]);
    });
  }

  /** "postgres://user@host/db#name": where a stored certificate is, for messages. */
  where(name: string): string {
    return `${this.db.where}#${name}`;
  }

  private fromRow(name: string, row: Row): ReadResult {
    const keyPem = open(this.key, row.key_sealed, keyAad(name, row.fingerprint));
    if (keyPem === undefined) return { state: 'corrupt', reason: `${this.where(name)}: the private key does not decrypt under store.encryptionKey (altered, or sealed for another certificate)` };
    return storedFromParts(name, this.where(name), row.fullchain, keyPem, row.meta);
  }
}
