/**
 * The outbound policy: which endpoints actions, Campaign, data sources and OAuth2 token URLs may reach
 * (docs/security.md). One engine setting, `JO_OUTBOUND_ALLOW`, lists entries; each may end in `:port`:
 * - `public` — any address that is not internal (the default list is just `public`);
 * - `api.example.com` — that host name, whatever it resolves to (the operator vouches for the name);
 * - `*.example.com` — any name under that suffix (not the suffix itself);
 * - `127.0.0.1`, `10.0.0.0/8`, `[::1]`, `fd00::/8` — addresses and CIDR ranges.
 * Internal addresses — loopback, link-local (169.254/16 with the cloud metadata service, fe80::/10), private
 * (10/8, 172.16/12, 192.168/16, fc00::/7), unspecified, CGNAT, multicast, reserved — are refused unless an
 * address entry covers them. IPv4-mapped, -compatible and NAT64 IPv6 forms are judged as the IPv4 address they
 * carry; other IPv4 spellings (decimal, octal, hex) are normalized by the WHATWG URL parser before any check.
 *
 * Pure: `urlRefusal` checks what is known from a URL (at save time and before a call); `addressAllowed` checks a
 * resolved address (connectors/ calls it from the socket's DNS step, so a name cannot rebind past the policy).
 */

export const URL_NOT_ALLOWED = 'URL_NOT_ALLOWED';
export const DEFAULT_OUTBOUND_ALLOW: readonly string[] = ['public'];

type Entry =
  | { readonly kind: 'public'; readonly port?: number }
  | { readonly kind: 'host'; readonly name: string; readonly port?: number }
  | { readonly kind: 'suffix'; readonly suffix: string; readonly port?: number }
  | { readonly kind: 'cidr'; readonly ip: Ip; readonly bits: number; readonly port?: number };

/** An IP address as a 32- or 128-bit number. */
interface Ip {
  readonly v6: boolean;
  readonly n: bigint;
}

export interface OutboundPolicy {
  readonly entries: readonly Entry[];
  /** The entries as configured, for messages and docs. */
  readonly source: readonly string[];
}

// ---- addresses -------------------------------------------------------------------------------------------------
function parseV4(s: string): Ip | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return { v6: false, n: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
}

function parseV6(input: string): Ip | undefined {
  let s = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4tail) {
    const v4 = parseV4(v4tail[1] as string);
    if (!v4) return undefined;
    s = `${s.slice(0, -v4tail[0].length)}${(v4.n >> 16n).toString(16)}:${(v4.n & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return { v6: true, n: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** Parses an IPv4 or IPv6 address (brackets allowed); undefined for anything else. */
export function parseIp(s: string): Ip | undefined {
  return parseV4(s) ?? (s.includes(':') ? parseV6(s) : undefined);
}

/** The IPv4 address an IPv6 one carries (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96). */
function embeddedV4(ip: Ip): Ip | undefined {
  if (!ip.v6) return undefined;
  const high = ip.n >> 32n;
  if (high === 0xffffn || high === 0x64ff9b0000000000000000n || (high === 0n && ip.n > 1n))
    return { v6: false, n: ip.n & 0xffffffffn };
  return undefined;
}

function inCidr(ip: Ip, net: Ip, bits: number): boolean {
  if (ip.v6 !== net.v6) return false;
  const width = ip.v6 ? 128n : 32n;
  const shift = width - BigInt(bits);
  return ip.n >> shift === net.n >> shift;
}

const cidr = (s: string): [Ip, number] => {
  const [a, b] = s.split('/');
  return [parseIp(a as string) as Ip, Number(b)];
};
const INTERNAL: ReadonlyArray<[Ip, number]> = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
].map(cidr);

/** True for loopback, link-local, private, unspecified, CGNAT, multicast and reserved addresses. */
export function isInternalAddress(ip: Ip): boolean {
  const v4 = embeddedV4(ip) ?? ip;
  return INTERNAL.some(([net, bits]) => inCidr(v4, net, bits));
}

// ---- policy ----------------------------------------------------------------------------------------------------
function splitPort(entry: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const colons = entry.split(':').length - 1;
  if (colons !== 1) return { host: entry }; // a name, an IPv4 address, or a bare IPv6 address / range
  const [host, port] = entry.split(':') as [string, string];
  return { host, port: /^\d+$/.test(port) ? Number(port) : NaN };
}

function parseEntry(raw: string): Entry {
  const { host, port } = splitPort(raw.trim());
  const p = port === undefined ? {} : { port };
  if (port !== undefined && !(port >= 1 && port <= 65535)) throw new Error(`bad port in "${raw}"`);
  if (host === 'public') return { kind: 'public', ...p };
  const [addr, bits] = host.split('/');
  const ip = parseIp(addr as string);
  if (ip) {
    const width = ip.v6 ? 128 : 32;
    const b = bits === undefined ? width : Number(bits);
    if (!Number.isInteger(b) || b < 0 || b > width) throw new Error(`bad prefix length in "${raw}"`);
    return { kind: 'cidr', ip, bits: b, ...p };
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (/^\*\.[a-z0-9.-]+$/.test(name)) return { kind: 'suffix', suffix: name.slice(1), ...p };
  if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name))
    return { kind: 'host', name, ...p };
  throw new Error(`"${raw}" is not public, a host name, *.suffix, an IP address or a CIDR range`);
}

/** Parses the allow list (`JO_OUTBOUND_ALLOW` split on commas); throws on an entry it cannot read. */
export function parseOutboundPolicy(list: readonly string[] = DEFAULT_OUTBOUND_ALLOW): OutboundPolicy {
  const source = list.map((s) => s.trim()).filter(Boolean);
  return Object.freeze({ entries: Object.freeze(source.map(parseEntry)), source: Object.freeze(source) });
}

const portOk = (e: Entry, port: number) => e.port === undefined || e.port === port;

function nameMatches(e: Entry, name: string, port: number): boolean {
  if (!portOk(e, port)) return false;
  if (e.kind === 'host') return e.name === name;
  if (e.kind === 'suffix') return name.endsWith(e.suffix) && name.length > e.suffix.length;
  return false;
}

/** True when `ip` (an address `host` resolved to, or the literal host) may be connected to on `port`. */
export function addressAllowed(policy: OutboundPolicy, host: string, port: number, ip: Ip): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  for (const e of policy.entries) {
    if (nameMatches(e, name, port)) return true;
    if (!portOk(e, port)) continue;
    if (e.kind === 'cidr' && (inCidr(ip, e.ip, e.bits) || inCidr(embeddedV4(ip) ?? ip, e.ip, e.bits))) return true;
    if (e.kind === 'public' && !isInternalAddress(ip)) return true;
  }
  return false;
}

/** Names that always mean this machine, judged as the loopback address before any DNS. */
const LOCAL_NAMES = /(^|\.)localhost$/;

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/**
 * Why `url` may not be called under `policy`, or undefined when what the URL shows is allowed (a host name is
 * checked again, address by address, when it is resolved). Refuses non-http(s) URLs, credentials in the URL,
 * and templates in the scheme, host or port (`{{`).
 */
export function urlRefusal(policy: OutboundPolicy, url: string): string | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1];
  if (authority === undefined || /\{\{|\}\}/.test(url.slice(0, url.indexOf(authority) + authority.length)))
    return 'the scheme, host and port must be literal (no templates)';
  let u: URL;
  try {
    u = new URL(url.replace(/\{\{[^}]*\}\}/g, 'x'));
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'only http and https URLs may be called';
  if (u.username !== '' || u.password !== '') return 'credentials in the URL are not allowed (use auth)';
  const port = u.port === '' ? defaultPort(u.protocol) : Number(u.port);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const literal = parseIp(host);
  const asIp = literal ?? (LOCAL_NAMES.test(host.toLowerCase()) ? parseIp('127.0.0.1') : undefined);
  if (asIp) {
    return addressAllowed(policy, host, port, asIp)
      ? undefined
      : `${u.host} is an ${isInternalAddress(asIp) ? 'internal ' : ''}address the outbound policy does not allow`;
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  const anyAddress = policy.entries.some((e) => (e.kind === 'public' || e.kind === 'cidr') && portOk(e, port));
  if (anyAddress || policy.entries.some((e) => nameMatches(e, name, port))) return undefined;
  return `${u.host} is not in the outbound allow list (${policy.source.join(', ') || 'empty'})`;
}
