import { describe, expect, it } from 'vitest';
import { commandFileFor } from '../../src/cli/dispatch.js';

const files = ['config.ts', 'renew.ts', 'status.ts', 'nginx-conf.ts'];

describe('commandFileFor: only the named command is loaded', () => {
  it('finds the command after global options and their values', () => {
    expect(commandFileFor(['renew', '--now'], files)).toBe('renew.ts');
    expect(commandFileFor(['--config', 'renew', 'status'], files)).toBe('status.ts');
    expect(commandFileFor(['-c', 'x.yaml', '--log-level', 'debug', '--lang', 'zh-CN', 'nginx-conf', 'api'], files)).toBe('nginx-conf.ts');
  });

  it('loads everything for help, no command, or an unknown command (so commander can answer)', () => {
    expect(commandFileFor([], files)).toBeUndefined();
    expect(commandFileFor(['--help'], files)).toBeUndefined();
    expect(commandFileFor(['bogus'], files)).toBeUndefined();
  });
});
