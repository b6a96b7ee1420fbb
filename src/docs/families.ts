import { loadAllDescriptors } from '../dns/registry.js';
import type { ProviderDescriptor } from '../dns/provider.js';
import type { TargetDescriptor } from '../targets/descriptor.js';
import { TARGET_DESCRIPTORS } from '../targets/registry.js';
import type { ComponentFamily } from './component-page.js';
import { anchor } from './markdown.js';

/**
 * The component families that get a page per component. A new provider is one file in providers/
 * and appears here by itself, a new cloud target one file in src/targets/ and its line in the
 * registry; notify channels become a family once they have descriptors like these.
 */

const indent = (text: string, spaces: number) => text.replace(/^/gm, ' '.repeat(spaces));
/** The propagation deadline: a provider's own `propagationTimeout`, when it has one and it is set, wins. */
const deadline = (d: ProviderDescriptor) =>
  'propagationTimeout' in d.options.fields
    ? "`propagation.timeout`, or this entry's `propagationTimeout` for its records when that is set"
    : '`propagation.timeout`';
const ms = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000} s` : `${n} ms`);

export const dnsProviders: ComponentFamily<ProviderDescriptor> = {
  dir: 'providers',
  title: 'DNS providers (DNS 服务商)',
  configPath: 'dns.<name>',
  source: 'providers/<type>.ts',
  intro: [
    'Each entry under `dns:` is one provider instance: `type` picks the provider, the other keys are its',
    'options. A certificate names the entry that writes its TXT records (`dns: ali`), or maps zone suffixes',
    'to entries when its `_acme-challenge` names are CNAMEs into another zone. Whichever the provider,',
    'certkeeper deletes exactly the TXT values it created: a wildcard and its apex, or two parallel orders,',
    'share `_acme-challenge.<name>` and never remove each other\'s records. A provider\'s SDK is loaded only',
    'when a certificate uses it. `certkeeper dns test NAME` tries an entry end to end (write a record, wait',
    'until it is served, remove it) before the first real order. The other options are in the',
    '[configuration reference](../configuration.md).',
  ].join('\n'),
  load: loadAllDescriptors,
  minimalConfig: (d, entry) =>
    [`dns:`, `  ${d.type}:                # a name of your choice`, indent(entry, 4), 'certificates:', '  - name: www.example.com', '    domains: [www.example.com]'].join('\n'),
  sections(d) {
    if (!d.propagation) return [];
    const text =
      `After writing the records, certkeeper asks the zone's authoritative nameservers (or ` +
      `\`propagation.resolvers\`) until all of them serve every value: first after ${ms(d.propagation.firstPollMs)}, ` +
      `then at growing intervals up to \`propagation.interval\`, for at most ${deadline(d)} ` +
      `(see the [configuration reference](../configuration.md#${anchor('propagation')})).`;
    return [{ heading: 'Propagation (生效检查)', markdown: [text, d.propagation.note].filter(Boolean).join('\n\n') }];
  },
};

/** The DNS provider a minimal configuration of a vendor's target uses: the same vendor's. */
const DNS_OF_VENDOR: Record<TargetDescriptor['vendor'], string> = { aliyun: 'alidns', tencentcloud: 'tencentcloud' };

export const cloudTargets: ComponentFamily<TargetDescriptor> = {
  dir: 'targets',
  title: 'Cloud deploy targets (云部署目标)',
  configPath: 'certificates[].targets[]',
  source: 'src/targets/<type>.ts',
  intro: [
    'A certificate\'s `targets:` list holds files in a layout (`layout: nginx`, see the [configuration reference](../configuration.md))',
    'and cloud targets: an entry with `type:` puts the certificate on a load balancer, a CDN or a certificate service',
    'through its API. Each cloud target uploads the certificate once per renewal (the same serial twice changes',
    'nothing), binds it where the entry says, waits until the change is live, and deletes the certificate it',
    'uploaded for the previous renewal once nothing uses it. A failed cloud target leaves the other targets of the',
    'certificate (an Nginx deploy, another cloud) as they are; `certkeeper status` shows each target\'s last result.',
    'Without a key in the entry or the environment: RRSA or TKE OIDC in a Kubernetes pod, the Alibaba Cloud CLI profile,',
    'then the instance role (ECS RAM role, CVM role); `roleArn:` assumes a role with the key found. How to set them',
    'up: [Deploy to cloud load balancers and CDNs](../cloud-targets.md#credentials-without-a-long-lived-key-凭据与实例角色).',
  ].join('\n'),
  load: async () => [...TARGET_DESCRIPTORS],
  minimalConfig: (d, entry) =>
    [
      'dns:',
      `  ${DNS_OF_VENDOR[d.vendor]}:`,
      `    type: ${DNS_OF_VENDOR[d.vendor]}`,
      'certificates:',
      '  - name: www.example.com',
      '    domains: [www.example.com]',
      '    targets:',
      indent(entry, 8).replace(/^ {8}/, '      - '),
    ].join('\n'),
};

/** Every family, in the order the configuration reference links them. */
export const families = [dnsProviders, cloudTargets] as ComponentFamily[];
