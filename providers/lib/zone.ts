import { domainToASCII } from 'node:url';

/** A zone the account hosts, as the vendor lists it. */
export interface HostedZone {
  /** The zone in ASCII (punycode) form, lower case, no trailing dot. */
  ascii: string;
  /** The name to send back to the API (the vendor's own spelling). */
  apiName: string;
}

/** ASCII (xn--) form of a name, lower case, no trailing dot; '' when the name is not valid. */
export function toAscii(name: string): string {
  return domainToASCII(name.replace(/\.$/, '').toLowerCase());
}

/**
 * The hosted zone that holds `fqdn`: the longest zone name that equals it or is a suffix of it at a
 * label boundary. Guessing from domain-level rules (as GetMainDomainName does) picks `example.com`
 * even when the account hosts `sub.example.com` as its own zone, so we match against the list.
 */
export function findZone(fqdn: string, zones: HostedZone[]): { zone: HostedZone; rr: string } | undefined {
  const name = toAscii(fqdn);
  let best: HostedZone | undefined;
  for (const z of zones) {
    if ((name === z.ascii || name.endsWith(`.${z.ascii}`)) && (!best || z.ascii.length > best.ascii.length)) best = z;
  }
  if (!best) return undefined;
  const rr = name === best.ascii ? '@' : name.slice(0, -best.ascii.length - 1);
  return { zone: best, rr };
}

/** The full name of `rr` in `zone`, in ASCII; for a zone whose name is unknown (''), `rr` is already the full name. */
export function nameIn(zone: HostedZone, rr: string): string {
  if (rr === '@') return zone.ascii;
  return zone.ascii ? `${rr}.${zone.ascii}` : rr;
}

/** Key under which a provider remembers the record id it created for one value at one name. */
export function recordKey(fqdn: string, value: string): string {
  return `${toAscii(fqdn)}\n${value}`;
}
