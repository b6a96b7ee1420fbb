import type { Messages } from '../i18n/index.js';
import { parseCommand } from './validate.js';
import type { Ask } from './source.js';

/** A `deploy:` entry as init writes it. */
export type DeployEntry = Record<string, unknown>;

/**
 * How Nginx is told about new files. Each mode asks what it needs and returns the deploy entry.
 * Adding a mode (say, a native signal or Docker API reload once the deployer supports one) is one
 * more object here; init's flow and the YAML writer stay as they are.
 */
export interface ReloadMode {
  id: string;
  title: string;
  collect(ask: Ask, m: Messages): Promise<DeployEntry>;
}

const commandAsk = (ask: Ask, id: 'test' | 'reload', prompt: string, def: string) =>
  ask({
    key: `${id}Command`,
    flag: `--${id}-command`,
    prompt,
    def,
    check: (v) => {
      const c = parseCommand(v);
      return Array.isArray(c) ? undefined : c.error;
    },
  }).then((v) => parseCommand(v ?? def) as string[]);

export const RELOAD_MODES: ReloadMode[] = [
  {
    id: 'nginx',
    title: 'nginx -s reload (Nginx on this host)',
    collect: async () => ({ test: ['nginx', '-t'], reload: ['nginx', '-s', 'reload'] }),
  },
  {
    id: 'systemd',
    title: 'systemctl reload nginx',
    collect: async () => ({ test: ['nginx', '-t'], reload: ['systemctl', 'reload', 'nginx'] }),
  },
  {
    id: 'docker',
    title: 'docker exec into an Nginx container',
    collect: async (ask, m) => {
      const container = (await ask({ key: 'container', flag: '--container', prompt: m.init.container, def: 'nginx', check: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : `"${v}" is not a container name`) }))!;
      return { test: ['docker', 'exec', container, 'nginx', '-t'], reload: ['docker', 'exec', container, 'nginx', '-s', 'reload'] };
    },
  },
  {
    id: 'command',
    title: 'commands of your own',
    collect: async (ask, m) => ({
      test: await commandAsk(ask, 'test', m.init.testCommand, 'nginx -t'),
      reload: await commandAsk(ask, 'reload', m.init.reloadCommand, 'nginx -s reload'),
    }),
  },
];
