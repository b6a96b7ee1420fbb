import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { said } from '../i18n/errors.js';

/** `--config`, else `$CERTKEEPER_CONFIG`, else `./certkeeper.yaml`, else `/etc/certkeeper/certkeeper.yaml`. */
export function findConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  if (env.CERTKEEPER_CONFIG) return resolve(cwd, env.CERTKEEPER_CONFIG);
  const local = resolve(cwd, 'certkeeper.yaml');
  if (existsSync(local)) return local;
  const system = '/etc/certkeeper/certkeeper.yaml';
  if (existsSync(system)) return system;
  throw new ConfigError(said('noConfigFile'));
}
