import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { freshOptions } from '../credentials/files.js';
import { DnsProviderError } from '../errors.js';
import type { DnsProvider } from './provider.js';
import { loadDescriptor } from './registry.js';

/**
 * The configured DNS providers, created on first use: a provider whose SDK no due certificate needs
 * is never loaded.
 */
export class DnsProviders {
  private readonly made = new Map<string, Promise<DnsProvider>>();

  constructor(
    private readonly config: Pick<Config, 'dns' | 'baseDir'>,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get(name: string): Promise<DnsProvider> {
    let p = this.made.get(name);
    if (!p) {
      p = this.create(name);
      this.made.set(name, p);
    }
    return p;
  }

  private async create(name: string): Promise<DnsProvider> {
    const entry = this.config.dns[name];
    if (!entry) throw new DnsProviderError(name, 'no such dns entry');
    const descriptor = await loadDescriptor(entry.type);
    if (!descriptor) throw new DnsProviderError(entry.type, 'unknown provider type');
    // Credentials from files are read again here, once per pass: a rotated secret needs no restart.
    const fresh = await freshOptions(descriptor.options, entry.options, entry.fileCredentials);
    if ('error' in fresh) throw new DnsProviderError(entry.type, `dns.${name}.${fresh.error}`, { auth: true });
    return descriptor.create(fresh.options, {
      logger: this.logger.child({ dns: name, provider: entry.type }),
      env: this.env,
      baseDir: this.config.baseDir,
    });
  }
}
