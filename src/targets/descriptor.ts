import type { Logger } from 'pino';
import * as z from 'zod';
import type { ComponentDescriptor } from '../config/descriptor.js';
import { duration, servedCheck } from '../config/fields.js';

/**
 * A cloud deploy target (`targets:` entries with a `type:`): a load balancer, CDN or certificate
 * service that takes the certificate through its API. Like a DNS provider it is one file with a
 * descriptor (options, credentials, least-privilege policy) and a factory; its SDK is imported only
 * in `create`.
 */
export interface TargetDescriptor<Options extends z.ZodType = z.ZodType> extends ComponentDescriptor<Options> {
  vendor: 'aliyun' | 'tencentcloud';
  create(options: z.output<Options>, ctx: TargetContext): Promise<CloudTarget>;
}

export interface TargetContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** The clock temporary keys are refreshed by (tests move it past their expiry). */
  now?: () => Date;
}

/** The certificate going out: what the store holds. */
export interface CertificateSet {
  name: string;
  domains: string[];
  fullchainPem: string;
  keyPem: string;
  /** Lower-case hex, as src/store/x509.ts reads it. */
  serial: string;
  fingerprint256: string;
  notAfter: Date;
}

/** One certificate certkeeper uploaded to the vendor and has not deleted yet. */
export interface Upload {
  id: string;
  serial: string;
}

/**
 * What a target remembers between deploys (kept in the target records, see src/store/targets.ts):
 * the vendor's id of what is bound now, and every upload not yet deleted. A target updates it as it
 * goes, so an upload is remembered even when the binding after it fails.
 */
export interface TargetMemory {
  current?: string;
  uploads: Upload[];
}

export interface DeployedResult {
  /** Each place, e.g. "clb lb-1/lbl-2 api.example.com (ap-guangzhou): bound" or "…: already bound". */
  bound: string[];
  /** Whether anything was written (false: everything already served this certificate). */
  changed: boolean;
}

export interface CloudTarget {
  /**
   * Read-only: whether every place the target binds uses `memory.current` now. Asked at each pass for
   * certificates that are not due, so a binding changed behind certkeeper's back is put right.
   */
  inPlace(memory: TargetMemory & { current: string }, signal: AbortSignal): Promise<boolean>;
  /**
   * Uploads the certificate unless this serial is already uploaded, then binds it everywhere the target
   * says and sets `memory.current`. Deploying the same serial twice writes nothing the second time.
   */
  deploy(cert: CertificateSet, memory: TargetMemory, signal: AbortSignal, opts: { configChanged: boolean }): Promise<DeployedResult>;
  /** Deletes an earlier upload; one still in use is kept for a later deploy to try again. */
  remove(upload: Upload, signal: AbortSignal): Promise<'deleted' | 'gone' | 'in-use'>;
}

/** Options every cloud target has besides its own. */
export const commonTargetOptions = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" and "-"')
    .optional()
    .describe('name of this target within the certificate (default: its type); give one when a certificate has two targets of the same type'),
  deleteOld: z.boolean().default(true).describe('delete the certificate certkeeper uploaded before, once nothing uses it'),
  verify: servedCheck({ example: '203.0.113.10:443', address: 'host:port of the load balancer or CDN edge', timeout: '5m', description: 'after the deploy, wait until this address serves the new certificate' }),
  timeout: duration('10s').describe('time limit for each API request'),
  taskTimeout: duration('10m').describe('how long to wait for asynchronous changes (tasks, CDN deployments) to finish'),
  retries: z.number().int().min(0).max(10).default(4).describe('retries on throttling, 5xx and network errors'),
  retryDelay: duration('1s').describe('first pause between retries; doubles each time, with jitter'),
};

export type CommonTargetOptions = z.output<z.ZodObject<typeof commonTargetOptions>>;

/** Keys that tune how a target talks to the API, not where the certificate goes: changing them redeploys nothing. */
export const TUNING_KEYS = new Set(['name', 'deleteOld', 'verify', 'timeout', 'taskTimeout', 'retries', 'retryDelay']);
