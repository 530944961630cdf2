/**
 * Bearer-token auth of the admin API. Tokens come from configuration (`JO_API_TOKENS`, see ops/engine-config.ts);
 * an `admin` token may read and write, a `read` token may only read. Tokens are compared as SHA-256 digests in
 * constant time, and only the digests are kept in memory.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type TokenRole = 'admin' | 'read';

export interface ApiToken {
  readonly token: string;
  readonly role: TokenRole;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Checks a request's `Authorization` header against the configured tokens. */
export class TokenAuth {
  private readonly tokens: ReadonlyArray<{ digest: Buffer; role: TokenRole }>;

  constructor(tokens: readonly ApiToken[]) {
    this.tokens = tokens.map((t) => ({ digest: digest(t.token), role: t.role }));
  }

  /** The caller's role, or `undefined` when the header is missing, malformed, or names no configured token. */
  roleOf(authorization: string | undefined): TokenRole | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const d = digest(m[1] as string);
    let role: TokenRole | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) role ??= t.role; // no early exit: constant time
    return role;
  }
}
