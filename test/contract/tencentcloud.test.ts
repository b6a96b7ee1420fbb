import { parseOptions } from '../../src/config/option-zod.js';
import { randomBytes } from 'node:crypto';
import { descriptor } from '../../providers/tencentcloud.js';
import { valuesAt } from '../fakes/common.js';
import { startDnspodFake } from '../fakes/dnspod.js';
import { providerContract, silentLogger } from './provider-contract.js';

// The SDK would silently send everything through a proxy from the environment.
delete process.env.http_proxy;
delete process.env.HTTP_PROXY;

providerContract('tencentcloud (DNSPod SDK against the DNSPod stand-in)', async () => {
  const tag = randomBytes(3).toString('hex');
  const zone = `tc-${tag}.test`;
  const idnZone = `bücher-${tag}.test`;
  const fake = await startDnspodFake({ secretId: 'AKIDcontract', secretKey: 'contract-key', zones: [zone, `sub.${zone}`, idnZone] });
  return {
    zone,
    subZone: `sub.${zone}`,
    idnZone,
    create: async (o = {}) =>
      descriptor.create(
        parseOptions(descriptor.options, {
          secretId: 'AKIDcontract',
          secretKey: o.badSecret ? 'wrong-key' : 'contract-key',
          endpoint: fake.url,
          retryDelay: '10ms',
        }),
        { logger: silentLogger, env: {}, baseDir: '.' },
      ),
    values: async (fqdn) => valuesAt(fake.records.values(), fqdn),
    zoneOf: (fqdn, value) => [...fake.records.values()].find((r) => r.value === value && `${r.rr}.${r.zone}` === fqdn)?.zone,
    faults: { throttle: (n) => (fake.faults.throttle = n), serverError: (n) => (fake.faults.serverError = n) },
    requests: () => fake.requests,
    authMessage: /^tencentcloud: DescribeDomainList refused: AuthFailure\.SignatureFailure; check TENCENTCLOUD_SECRET_ID \/ TENCENTCLOUD_SECRET_KEY .*DNSPod-only policy/,
    stop: () => fake.stop(),
  };
});
