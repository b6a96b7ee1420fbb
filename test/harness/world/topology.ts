/**
 * The test world's map: addresses, names and the BIND configuration of every server (pure text, no
 * processes). See README.md next to this file for the picture.
 */

export type NsName = 'ns1' | 'ns2' | 'ns3' | 'ns4' | 'ns5' | 'ns6';

/** Every address lives on the world's own loopback (127.53.0.0/16), inside its network namespace. */
export const ADDR = {
  root: '127.53.0.1',
  tld: '127.53.0.2',
  recursive: '127.53.0.53',
  /** Nothing listens here: a resolver address that refuses at once (ECONNREFUSED). */
  dead: '127.53.9.9',
  /** Where ns6's forged answers come from. */
  forger: '127.53.1.7',
  ns: { ns1: '127.53.1.1', ns2: '127.53.1.2', ns3: '127.53.1.3', ns4: '127.53.1.4', ns5: '127.53.1.5', ns6: '127.53.1.6' } as Record<NsName, string>,
  /** The nameservers' AAAA records: documentation prefix, unroutable or black-holed in the world. */
  ns6: { ns1: '2001:db8:1::53', ns2: '2001:db8:2::53', ns3: '2001:db8:3::53', ns4: '2001:db8:4::53', ns5: '2001:db8:5::53', ns6: '2001:db8:6::53' } as Record<NsName, string>,
};

/** The IPv6 prefix every AAAA above is in. */
export const V6_PREFIX = '2001:db8::/32';

export const NS_NAMES: NsName[] = ['ns1', 'ns2', 'ns3', 'ns4', 'ns5', 'ns6'];
export const nsHost = (n: NsName) => `${n}.dns.test`;

export interface ZoneSpec {
  /** A zone under .test, e.g. `rfc.test`. */
  name: string;
  /** Nameservers the TLD delegates it to (default ns1 and ns2). ns1 and ns2 serve every zone anyway. */
  ns?: NsName[];
  /** Extra zone-file lines, e.g. `_acme-challenge.www IN CNAME www.acme.test.`. */
  records?: string[];
  /** ns3 serves a copy that cannot load: SERVFAIL (without this, ns3 is lame for the zone: REFUSED). */
  servfailOnNs3?: boolean;
}

export interface TsigKey {
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512';
  secret: string;
}

export type BindRole = 'root' | 'tld' | 'ns1' | 'ns2' | 'ns3' | 'recursive';

const soa = (primary: string, zone: string) => `@ IN SOA ${primary}. hostmaster.${zone}. 1 3600 600 86400 300`;
const nsLines = (owner: string, list: NsName[]) => list.map((n) => `${owner} IN NS ${nsHost(n)}.`);
const addrLines = (n: NsName) => [`${nsHost(n)}. IN A ${ADDR.ns[n]}`, `${nsHost(n)}. IN AAAA ${ADDR.ns6[n]}`];

/** Zone files each BIND role loads, by file name. */
export function zoneFiles(role: BindRole, zones: ZoneSpec[]): Record<string, string> {
  const file = (lines: string[]) => ['$TTL 300', ...lines].join('\n') + '\n';
  switch (role) {
    case 'root':
      return {
        'root.zone': file([
          soa('a.root-servers.test', 'root-servers.test'),
          '@ IN NS a.root-servers.test.',
          `a.root-servers.test. IN A ${ADDR.root}`,
          'test. IN NS ns.nic.test.',
          `ns.nic.test. IN A ${ADDR.tld}`,
        ]),
      };
    case 'tld':
      return {
        'test.zone': file([
          soa('ns.nic.test', 'nic.test'),
          '@ IN NS ns.nic.test.',
          `ns.nic.test. IN A ${ADDR.tld}`,
          `a.root-servers.test. IN A ${ADDR.root}`,
          // The nameservers' own zone, with glue (A and AAAA), as hichina.com or dnspod.net have.
          ...nsLines('dns.test.', ['ns1', 'ns2']),
          ...addrLines('ns1'),
          ...addrLines('ns2'),
          ...zones.flatMap((z) => nsLines(`${z.name}.`, z.ns ?? ['ns1', 'ns2'])),
        ]),
      };
    case 'ns1':
      return Object.fromEntries([
        ['dns.test.zone', file([soa('ns1.dns.test', 'dns.test'), ...nsLines('@', ['ns1', 'ns2']), ...NS_NAMES.flatMap(addrLines)])],
        ...zones.map((z) => [`${z.name}.zone`, file([soa('ns1.dns.test', z.name), ...nsLines('@', z.ns ?? ['ns1', 'ns2']), ...(z.records ?? [])])]),
      ]);
    case 'ns3':
      return Object.fromEntries(zones.filter((z) => z.servfailOnNs3).map((z) => [`${z.name}.zone`, 'this is not a zone file\n']));
    case 'recursive':
      return { 'root.hint': `. 3600000 IN NS a.root-servers.test.\na.root-servers.test. 3600000 IN A ${ADDR.root}\n` };
    default:
      return {};
  }
}

/** named.conf of one role, its working directory `dir`. */
export function namedConf(role: BindRole, dir: string, zones: ZoneSpec[], key: TsigKey): string {
  const address = { root: ADDR.root, tld: ADDR.tld, ns1: ADDR.ns.ns1, ns2: ADDR.ns.ns2, ns3: ADDR.ns.ns3, recursive: ADDR.recursive }[role];
  const options = [
    `directory "${dir}";`,
    `pid-file "${dir}/named.pid";`,
    `session-keyfile "${dir}/session.key";`,
    `managed-keys-directory "${dir}";`,
    `listen-on port 53 { ${address}; };`,
    'listen-on-v6 { none; };',
    'dnssec-validation no;',
    'allow-query { any; };',
    'allow-transfer { any; };',
    `query-source address ${address};`,
    `notify-source ${address};`,
    `transfer-source ${address};`,
  ];
  const conf: string[] = [];
  const zone = (name: string, body: string) => conf.push(`zone "${name}" { ${body} };`);
  const all = ['dns.test', ...zones.map((z) => z.name)];
  switch (role) {
    case 'root':
      zone('.', `type primary; file "${dir}/root.zone";`);
      break;
    case 'tld':
      zone('test', `type primary; file "${dir}/test.zone";`);
      break;
    case 'ns1':
      // The primary notifies the secondary directly (ns4 and ns5 drop UDP from everyone else), at
      // most once a second per zone: the secondary lags behind as real ones do, by up to a second
      // (BIND's default of 5 s would make every test wait that long).
      options.push('notify explicit;', `also-notify { ${ADDR.ns.ns2}; };`, 'notify-delay 1;');
      for (const z of all) zone(z, `type primary; file "${dir}/${z}.zone"; update-policy { grant ${key.name} zonesub ANY; };`);
      break;
    case 'ns2':
      options.push('notify no;', 'min-retry-time 1;', 'max-retry-time 2;');
      for (const z of all) zone(z, `type secondary; primaries { ${ADDR.ns.ns1}; }; file "${dir}/${z}.db";`);
      break;
    case 'ns3':
      for (const z of zones.filter((x) => x.servfailOnNs3)) zone(z.name, `type primary; file "${dir}/${z.name}.zone";`);
      break;
    case 'recursive':
      options.push('recursion yes;', 'allow-recursion { any; };', 'querylog yes;');
      zone('.', `type hint; file "${dir}/root.hint";`);
      break;
  }
  if (role !== 'recursive') options.push('recursion no;');
  if (role !== 'ns1' && role !== 'ns2') options.push('notify no;');
  return [
    'options {',
    ...options.map((o) => `  ${o}`),
    '};',
    'controls { };',
    `key "${key.name}" { algorithm ${key.algorithm}; secret "${key.secret}"; };`,
    ...conf,
  ].join('\n') + '\n';
}
