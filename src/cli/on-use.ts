/**
 * Node's built-in modules that a command's bundle requires as it loads but most runs never call:
 * child_process (commander requires it for external subcommands, the hooks and Nginx's commands use
 * it; it loads net's sockets, dgram and the IPC code) and assert (sonic-boom, under pino's logger).
 * Each is handed over as a stand-in that requires the module at its first use; every use goes to the
 * module itself. true: the module is a function (assert(…) is called).
 */
export const ON_USE_BUILTINS: Readonly<Record<string, boolean>> = {
  child_process: false,
  'node:child_process': false,
  assert: true,
  'node:assert': true,
};

/**
 * A stand-in for the module `load()` returns, loading it at the first use: a property read, a call,
 * a listing of its keys (as `import x from` or `import * as x` do at once, through esbuild's
 * __toESM: those load it at load, as before). An arrow function as the target when it is called: an
 * arrow function has no `prototype`, which a proxy would have to list among the module's keys.
 */
export function onFirstUse(load: () => object, callable: boolean): unknown {
  let real: object | undefined;
  const module = () => (real ??= load());
  const target = callable ? () => undefined : {};
  return new Proxy(target, {
    get: (_t, key) => Reflect.get(module(), key),
    set: (_t, key, value) => Reflect.set(module(), key, value),
    has: (_t, key) => Reflect.has(module(), key),
    ownKeys: () => Reflect.ownKeys(module()),
    // Reported configurable: a proxy may not call a property non-configurable that its target lacks.
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(module(), key);
      return d && { ...d, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(module()),
    apply: (_t, self, args) => Reflect.apply(module() as (...a: unknown[]) => unknown, self, args),
  });
}
