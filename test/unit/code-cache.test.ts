import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { cacheFileName, compileCached, decodeCache, encodeCache } from '../../src/cli/code-cache.js';

const uid = process.getuid!();
let n = 0;
// A fresh text each test (V8 keeps an isolate-wide cache of compiled scripts by their text).
const bundle = (body = '', id = n++) =>
  Buffer.from(`/* ${process.pid}-${id} */ exports.sum = function (xs) { return xs.reduce(function (a, b) { return a + b; }, 0); }; ${body}`);
const exportsOf = (s: ReturnType<typeof compileCached>) => {
  const module = { exports: {} as { sum(xs: number[]): number; v?: number } };
  s.fn.call(module.exports, module.exports, require, module, 'bundle.cjs', '.');
  return module.exports;
};
const run = (s: ReturnType<typeof compileCached>) => exportsOf(s).sum([1, 2, 3]);
const require = createRequire(import.meta.url);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-v8c-'));
});
const cachePath = (source: Buffer) => join(dir, cacheFileName('b', source).file);

describe("V8's code cache for a bundle (Node 20)", () => {
  it('is written (0600) when the first run ends and taken by the next run', () => {
    const src = bundle();
    const first = compileCached(src, 'bundle.cjs', 'b', dir, uid);
    expect(first.hit).toBe(false);
    expect(run(first)).toBe(6);
    first.save();
    expect(statSync(cachePath(src)).mode & 0o777).toBe(0o600);
    const second = compileCached(src, 'bundle.cjs', 'b', dir, uid);
    expect(second.hit).toBe(true);
    expect(run(second)).toBe(6);
  });

  it('a damaged cache is never handed to V8: compiled as without one, and a sound one written', () => {
    const src = bundle();
    compileCached(src, 'bundle.cjs', 'b', dir, uid).save();
    const bytes = readFileSync(cachePath(src));
    bytes[bytes.length - 10]! ^= 0xff;
    writeFileSync(cachePath(src), bytes);
    const s = compileCached(src, 'bundle.cjs', 'b', dir, uid);
    expect(s.hit).toBe(false);
    expect(run(s)).toBe(6);
    s.save();
    expect(decodeCache(readFileSync(cachePath(src)), cacheFileName('b', src).key)).toBeDefined();
  });

  it("another build's cache under this build's name is ignored (V8 itself would take it: same length)", () => {
    const id = n++;
    const a = bundle('exports.v = 1;', id);
    const b = bundle('exports.v = 2;', id);
    compileCached(a, 'bundle.cjs', 'b', dir, uid).save();
    renameSync(cachePath(a), cachePath(b));
    const s = compileCached(b, 'bundle.cjs', 'b', dir, uid);
    expect(s.hit).toBe(false);
    expect(exportsOf(s).v).toBe(2);
  });

  it('a sound file that V8 rejects (code of another text) falls back silently and is replaced', () => {
    const a = bundle();
    const b = bundle('exports.more = 1;');
    compileCached(a, 'bundle.cjs', 'b', dir, uid).save();
    const aData = decodeCache(readFileSync(cachePath(a)), cacheFileName('b', a).key)!.data;
    const keyB = cacheFileName('b', b).key;
    writeFileSync(cachePath(b), encodeCache(aData, keyB, 0), { mode: 0o600 });
    expect(decodeCache(readFileSync(cachePath(b)), keyB)).toBeDefined(); // our checks pass: V8's must refuse
    const s = compileCached(b, 'bundle.cjs', 'b', dir, uid);
    expect(s.hit).toBe(false);
    expect(run(s)).toBe(6);
    s.save();
    expect(compileCached(b, 'bundle.cjs', 'b', dir, uid).hit).toBe(true);
  });

  it("is not read when another user could have written it, when it is another user's, or through a link", () => {
    const src = bundle();
    compileCached(src, 'bundle.cjs', 'b', dir, uid).save();
    chmodSync(cachePath(src), 0o620);
    expect(compileCached(src, 'bundle.cjs', 'b', dir, uid).hit).toBe(false);
    chmodSync(cachePath(src), 0o600);
    expect(compileCached(src, 'bundle.cjs', 'b', dir, uid + 1).hit).toBe(false);
    const other = mkdtempSync(join(tmpdir(), 'ck-v8c-'));
    renameSync(cachePath(src), join(other, 'planted'));
    symlinkSync(join(other, 'planted'), cachePath(src));
    expect(compileCached(src, 'bundle.cjs', 'b', dir, uid).hit).toBe(false);
  });

  it("keeps one other build's cache of the bundle (the newest), so two builds run in turn do not remove each other's", () => {
    const id = n++;
    const [a, b, c] = [1, 2, 3].map((v) => bundle(`exports.v = ${v};`, id));
    compileCached(a!, 'bundle.cjs', 'b', dir, uid).save();
    compileCached(b!, 'bundle.cjs', 'b', dir, uid).save();
    utimesSync(cachePath(a!), new Date(1000), new Date(1000));
    expect(compileCached(a!, 'bundle.cjs', 'b', dir, uid).hit).toBe(true);
    expect(compileCached(b!, 'bundle.cjs', 'b', dir, uid).hit).toBe(true);
    compileCached(c!, 'bundle.cjs', 'b', dir, uid).save();
    expect(readdirSync(dir).sort()).toEqual([cacheFileName('b', b!).file, cacheFileName('b', c!).file].sort());
  });

  it('without a directory nothing is read or written', () => {
    const s = compileCached(bundle(), 'bundle.cjs', 'b', undefined, uid);
    expect(s.hit).toBe(false);
    expect(run(s)).toBe(6);
    s.save();
  });

  it('is rewritten after a run that loaded more modules than the one that wrote it, and only then', () => {
    const src = bundle();
    compileCached(src, 'bundle.cjs', 'b', dir, uid).save();
    const written = readFileSync(cachePath(src));
    const same = compileCached(src, 'bundle.cjs', 'b', dir, uid);
    same.save();
    expect(readFileSync(cachePath(src)).equals(written)).toBe(true);
    const further = compileCached(src, 'bundle.cjs', 'b', dir, uid);
    const extra = join(dir, 'extra.cjs');
    writeFileSync(extra, 'module.exports = 1;');
    require(extra);
    further.save();
    const rewritten = decodeCache(readFileSync(cachePath(src)), cacheFileName('b', src).key)!;
    expect(rewritten.modules).toBe(decodeCache(written, cacheFileName('b', src).key)!.modules + 1);
  });

  it("counts a run's progress as the caller says (packages inside the bundle): rewritten only by a run that went further", () => {
    const src = bundle();
    let progress = 3;
    compileCached(src, 'bundle.cjs', 'b', dir, uid, () => progress).save();
    const written = readFileSync(cachePath(src));
    progress = 2;
    compileCached(src, 'bundle.cjs', 'b', dir, uid, () => progress).save();
    expect(readFileSync(cachePath(src)).equals(written)).toBe(true);
    progress = 5;
    compileCached(src, 'bundle.cjs', 'b', dir, uid, () => progress).save();
    expect(decodeCache(readFileSync(cachePath(src)), cacheFileName('b', src).key)!.modules).toBe(5);
  });
});
