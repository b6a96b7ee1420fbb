import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../src/acme/renewal-info.js';
import * as E from '../../src/errors.js';
import { said } from '../../src/i18n/errors.js';
import { fromWireError, toWireError } from '../../src/scheduler/pass-messages.js';

/** Across the channel as `serialization: 'advanced'` sends it (V8's structured clone). */
const across = (err: unknown) => fromWireError(deserialize(serialize(toWireError(err))));

describe('errors crossing the IPC channel (pass, follower deploy, daemon-config)', () => {
  const secret = 'postgres://u:hunter2@db';
  const cases: [string, Error][] = [
    ['CertkeeperError', new E.CertkeeperError('STORE', 'plain')],
    ['ConfigError', new E.ConfigError([{ path: 'renew.concurrency', message: 'must be positive' }, E.configIssue('', said('noSuchCertificates', ['x'], ['a', 'b']))])],
    ['UsageError', new E.UsageError(said('noSuchCertificates', ['x'], ['a']))],
    ['DnsProviderError', new E.DnsProviderError('alidns', 'InvalidAccessKeyId', { auth: true })],
    ['PropagationError', new E.PropagationError('TXT not seen at ns1')],
    ['AcmeError', new E.AcmeError('rate limited', { problem: 'rateLimited', retryAfter: new Date('2026-12-01T10:00:00Z'), status: 429, unreachable: false })],
    ['DeployError', new E.DeployError('nginx -t failed')],
    ['CredentialsError', new E.CredentialsError('metadata service timed out', { transient: true })],
    ['StoreError', new E.StoreError('schema from a newer certkeeper')],
    ['StoreUnavailableError', new E.StoreUnavailableError('connection refused', { cause: new Error(secret) })],
    ['LockedError', new E.LockedError('held by PID 7')],
    ['AbortedError', new E.AbortedError()],
    ['PassTimeoutError', new E.PassTimeoutError('ran longer than renew.passTimeout (30m)')],
    ['PassProcessError', new E.PassProcessError('killed by SIGKILL')],
  ];

  it.each(cases)('%s keeps its class, code, message and fields', (name, err) => {
    const back = across(err);
    expect(back.constructor).toBe(err.constructor);
    expect(back).toBeInstanceOf(E.CertkeeperError);
    expect(back.name).toBe(name);
    expect(back.message).toBe(err.message);
    // Every own field (code, noRetry, said, issues, retryAfter, provider, transient…), dates as dates.
    expect({ ...back }).toStrictEqual({ ...err });
    expect(typeof back.stack).toBe('string');
  });

  it('leaves the cause behind', () => {
    const wire = toWireError(new E.StoreUnavailableError('connection refused', { cause: new Error('postgres://u:hunter2@db') }));
    expect(JSON.stringify(wire)).not.toContain('hunter2');
    expect(across(new E.StoreUnavailableError('x', { cause: new Error('y') })).cause).toBeUndefined();
  });

  it('every class of src/errors.ts is covered', () => {
    const exported = Object.entries(E).filter(([, v]) => typeof v === 'function' && (v === E.CertkeeperError || v.prototype instanceof E.CertkeeperError));
    expect(exported.map(([k]) => k).sort()).toEqual(cases.map(([k]) => k).sort());
  });

  it('a subclass crosses as the nearest class it extends; anything else as a plain Error with its one line', () => {
    const profile = across(new ProfileError('profile "tlsserver" unknown', { problem: 'invalidProfile' }));
    expect(profile).toBeInstanceOf(E.AcmeError);
    expect((profile as E.AcmeError).problem).toBe('invalidProfile');
    const plain = across(new TypeError('Cannot read properties of undefined\n    at x (y.js:1)'));
    expect(plain.constructor).toBe(Error);
    expect(plain.message).toBe('Cannot read properties of undefined');
    expect(across('a string').message).toBe('a string');
  });
});
