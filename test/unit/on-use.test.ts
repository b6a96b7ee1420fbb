import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { onFirstUse } from '../../src/cli/on-use.js';

const require = createRequire(import.meta.url);

// esbuild's CommonJS helpers as the command bundles have them: `import x from` and `import * as x`
// copy a module's keys at load (__toESM); named imports read the property at each use.
const toESM = (mod: any) => {
  const target = Object.create(Object.getPrototypeOf(mod));
  Object.defineProperty(target, 'default', { value: mod, enumerable: true });
  for (const key of Object.getOwnPropertyNames(mod)) if (key !== 'default') Object.defineProperty(target, key, { get: () => mod[key], enumerable: Object.getOwnPropertyDescriptor(mod, key)!.enumerable });
  return target;
};

describe('a built-in module required at its first use', () => {
  it('is not loaded until used, then every use is the module itself', () => {
    let loads = 0;
    const real = require('node:path');
    const stand = onFirstUse(() => (loads++, real), false) as typeof real;
    expect(loads).toBe(0);
    expect(stand.join('a', 'b')).toBe('a/b');
    expect(stand.sep).toBe('/');
    expect('basename' in stand).toBe(true);
    expect(loads).toBe(1);
  });

  it('a module that is a function is called as one', () => {
    let loads = 0;
    const assert = onFirstUse(() => (loads++, require('node:assert')), true) as typeof import('node:assert');
    expect(loads).toBe(0);
    expect(() => assert(false, 'no')).toThrow('no');
    expect(() => assert.strictEqual(1, 2)).toThrow();
    expect(loads).toBe(1);
  });

  it("esbuild's default and namespace imports list its keys and see what the module has", () => {
    const real = require('node:child_process');
    for (const callable of [false, true]) {
      const ns = toESM(onFirstUse(() => real, callable));
      expect(Object.keys(ns).sort()).toEqual(['default', ...Object.keys(real)].sort());
      expect(ns.execFile).toBe(real.execFile);
      expect(ns.default.spawn).toBe(real.spawn);
    }
  });
});
