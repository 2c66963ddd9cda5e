/**
 * Where the operator may connect on a tenant's behalf. A RetentionPolicy's `spec.external.url` is
 * whatever a tenant typed, and a registry's answers name more hosts (pagination links, blob
 * redirects, token realms): without a policy the operator would fetch the cloud metadata
 * endpoint, its own loopback or another namespace's Service for anyone who asks.
 *
 * - Host names are checked against the admin's `externalRegistries.allowedHosts` (default `*`);
 *   in-cluster names (`*.svc`, `*.cluster.local`) only when listed explicitly.
 * - Addresses are checked when connecting, after DNS (a name that resolves to a refused address
 *   is refused, DNS rebinding included), and for IP literals before (every spelling the URL
 *   parser folds, decimal and hex included, and IPv4-mapped IPv6): loopback, link-local,
 *   unspecified and the admin's `deniedCidrs` are refused unless in `allowedCidrs`.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import * as z from 'zod';
import { hostName, hostPatternMatches } from '../host-pattern.js';
import { REGISTRY_ERROR_CODES, RegistryApiError } from './errors.js';

const cidrSchema = z.string().refine((text) => parseCidr(text) !== undefined, 'must be an address range such as 10.96.0.0/12 or fd00::/8');

export const externalRegistriesConfigSchema = z
  .strictObject({
    allowedHosts: z.array(z.string().min(1)).default(['*']).meta({
      description:
        'Hosts RetentionPolicies may name in spec.external.url, and the hosts their registries point to (pagination, redirects, token realms): ' +
        'exact (registry.example.com), *.domain, or * for any public name. In-cluster names (*.svc, *.cluster.local) must be listed explicitly.',
    }),
    allowedCidrs: z.array(cidrSchema).default([]).meta({ description: 'Addresses otherwise refused that may be reached, e.g. 127.0.0.1/32 for a registry on the node.' }),
    deniedCidrs: z.array(cidrSchema).default([]).meta({
      description: "Addresses refused besides loopback, link-local and unspecified ones: list the cluster's Service and Pod ranges here (e.g. 10.96.0.0/12).",
    }),
  })
  .meta({ description: 'Where the operator may connect on behalf of a RetentionPolicy with spec.external (docs/security.md).' });
export type ExternalRegistriesConfig = z.output<typeof externalRegistriesConfigSchema>;

const ALWAYS_DENIED = ['127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8', '::1/128', 'fe80::/10', '::/128'];
const IN_CLUSTER_NAME = /(\.svc|\.cluster\.local)\.?$/i;

function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText] = text.split('/');
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/** `::ffff:7f00:1` (how the URL parser writes ::ffff:127.0.0.1) as the IPv4 address it maps. */
function unmapIpv4(address: string): string {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!mapped) return address.replace(/^::ffff:/i, '');
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

export class AddressPolicy {
  private readonly denied: BlockList;
  private readonly allowed: BlockList;

  constructor(private readonly config: ExternalRegistriesConfig) {
    this.denied = blockListOf([...ALWAYS_DENIED, ...config.deniedCidrs]);
    this.allowed = blockListOf(config.allowedCidrs);
  }

  /** Why an address may not be reached, or undefined. */
  refuseAddress(address: string): string | undefined {
    const plain = address.replace(/^\[|\]$/g, '');
    const v4 = isIP(unmapIpv4(plain)) === 4 ? unmapIpv4(plain) : undefined;
    const [candidate, family] = v4 ? [v4, 'ipv4' as const] : [plain, 'ipv6' as const];
    if (isIP(candidate) === 0) return undefined;
    if (this.allowed.check(candidate, family)) return undefined;
    if (this.denied.check(candidate, family)) {
      return `address ${candidate} is loopback, link-local, unspecified or in externalRegistries.deniedCidrs; list it in externalRegistries.allowedCidrs of the operator configuration to allow it`;
    }
    return undefined;
  }

  /** Why a host name (or IP literal) of a URL may not be reached, or undefined. */
  refuseHost(hostname: string): string | undefined {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isIP(host) !== 0 || isIP(unmapIpv4(host)) !== 0) return this.refuseAddress(host);
    // `host` comes without its port (URL.hostname, DNS lookups): a listed port does not narrow the match here.
    const listed = this.config.allowedHosts.some((pattern) => pattern !== '*' && hostPatternMatches(hostName(pattern), host));
    if (listed) return undefined;
    if (IN_CLUSTER_NAME.test(host)) {
      return `host ${host} is an in-cluster name; a RetentionPolicy reaches a managed Registry with spec.registryRef, or the admin lists the host in externalRegistries.allowedHosts`;
    }
    if (this.config.allowedHosts.includes('*')) return undefined;
    return `host ${host} is not in externalRegistries.allowedHosts of the operator configuration`;
  }

  /** A `lookup` for net.connect/tls.connect that refuses names resolving to a refused address. */
  readonly lookup = (hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const refused = list.map((a) => this.refuseAddress(a.address)).find((reason) => reason !== undefined);
      if (refused) return callback(Object.assign(new Error(`${hostname}: ${refused}`), { code: 'EDMREFUSED' }), '', 0);
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0];
      return callback(null, first?.address ?? '', first?.family ?? 4);
    });
  };

  /** Throws the typed error for a URL whose host is refused. */
  checkUrl(url: string, method: string): void {
    const reason = this.refuseHost(new URL(url).hostname);
    if (reason) throw addressRefused(method, url, reason);
  }
}

export function addressRefused(method: string, url: string, reason: string): RegistryApiError {
  return new RegistryApiError({ code: REGISTRY_ERROR_CODES.addressRefused, method, url, message: `${method} ${url}: refused to connect: ${reason}.` });
}
