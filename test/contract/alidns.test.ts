import { parseOptions } from '../../src/config/option-zod.js';
import { randomBytes } from 'node:crypto';
import { descriptor } from '../../providers/alidns.js';
import { startAlidnsFake } from '../fakes/alidns.js';
import { valuesAt } from '../fakes/common.js';
import { providerContract, silentLogger } from './provider-contract.js';

providerContract('alidns (pop-core against the Alidns stand-in)', async () => {
  const tag = randomBytes(3).toString('hex');
  const zone = `ali-${tag}.test`;
  const idnZone = `bücher-${tag}.test`;
  const fake = await startAlidnsFake({ accessKeyId: 'LTAI5tContractKey', accessKeySecret: 'contract-secret', zones: [zone, `sub.${zone}`, idnZone] });
  return {
    zone,
    subZone: `sub.${zone}`,
    idnZone,
    create: async (o = {}) =>
      descriptor.create(
        parseOptions(descriptor.options, {
          accessKeyId: 'LTAI5tContractKey',
          accessKeySecret: o.badSecret ? 'wrong-secret' : 'contract-secret',
          endpoint: fake.url,
          retryDelay: '10ms',
        }),
        { logger: silentLogger, env: {}, baseDir: '.' },
      ),
    values: async (fqdn) => valuesAt(fake.records.values(), fqdn),
    zoneOf: (fqdn, value) => [...fake.records.values()].find((r) => r.value === value && `${r.rr}.${r.zone}` === fqdn)?.zone,
    faults: { throttle: (n) => (fake.faults.throttle = n), serverError: (n) => (fake.faults.serverError = n) },
    requests: () => fake.requests,
    authMessage: /^alidns: DescribeDomains refused: SignatureDoesNotMatch; check ALIBABA_CLOUD_ACCESS_KEY_ID \/ ALIBABA_CLOUD_ACCESS_KEY_SECRET .*DNS-only policy/,
    stop: () => fake.stop(),
  };
});
