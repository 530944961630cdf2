/**
 * The outbound policy at call time (schemas/outbound-policy.ts says what is allowed): an undici connector that
 * resolves the host itself, keeps only the addresses the policy allows for that host and port, and connects to
 * one of those — never to a name the socket would resolve again — so a DNS answer that changes between checks
 * (rebinding) cannot reach an internal address. TLS still verifies the certificate against the host name.
 */
import { lookup } from 'node:dns/promises';
import { buildConnector } from 'undici';
import { addressAllowed, parseIp, URL_NOT_ALLOWED, type OutboundPolicy } from '../schemas/index.js';

/** Resolves a host name to its addresses (IPv4 and IPv6, as text). */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** A connection the outbound policy refused; no byte was sent. */
export class OutboundRefusedError extends Error {
  readonly code = URL_NOT_ALLOWED;
}

/** True when `err` (or an error it wraps) is an outbound-policy refusal. */
export function isOutboundRefusal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof OutboundRefusedError) return true;
  return false;
}

/** The first address of `host` the policy allows on `port`; rejects with OutboundRefusedError when none is. */
export async function allowedAddress(
  policy: OutboundPolicy,
  host: string,
  port: number,
  resolve: Resolve,
): Promise<string> {
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = parseIp(bare);
  const candidates = literal ? [bare] : await resolve(bare);
  for (const a of candidates) {
    const ip = parseIp(a);
    if (ip && addressAllowed(policy, bare, port, ip)) return a;
  }
  throw new OutboundRefusedError(
    `${URL_NOT_ALLOWED}: ${bare}:${port} resolves to ${candidates.join(', ') || 'nothing'}, which the outbound policy does not allow`,
  );
}

/** An undici `connect` function that applies `policy` to every new connection (see the module comment). */
export function guardedConnector(
  policy: OutboundPolicy,
  resolve: Resolve = systemResolve,
  options: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const base = buildConnector(options);
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    allowedAddress(policy, opts.hostname, port, resolve).then(
      // `host` still names the server: undici derives the TLS server name (SNI, certificate check) from it
      (address) => base({ ...opts, hostname: address }, callback),
      (err: unknown) => callback(err as Error, null),
    );
  };
}
