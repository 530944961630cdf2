/**
 * Bearer-token auth of the admin API. Tokens come from configuration (`JO_API_TOKENS`/`JO_API_TOKENS_FILE`);
 * an `admin` token may read and write, a `read` token may only read. Tokens are compared as SHA-256 digests in
 * constant time, and only the digests are kept in memory.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../topology/index.js';

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

/**
 * Reads tokens from the environment: `JO_API_TOKENS` as `role:token,role:token` or `JO_API_TOKENS_FILE` naming a
 * JSON file `[{"token": "...", "role": "admin"|"read"}]`. Every problem is reported at once (ConfigError).
 */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): ApiToken[] {
  const problems: string[] = [];
  const out: ApiToken[] = [];
  const add = (role: unknown, token: unknown, where: string) => {
    if ((role !== 'admin' && role !== 'read') || typeof token !== 'string' || token.length < 16)
      problems.push(`${where}: expected role admin|read and a token of at least 16 characters`);
    else out.push({ role, token });
  };
  for (const [i, pair] of (env['JO_API_TOKENS'] ?? '')
    .split(',')
    .filter((s) => s.trim())
    .entries()) {
    const at = pair.indexOf(':');
    add(pair.slice(0, at).trim(), pair.slice(at + 1).trim(), `JO_API_TOKENS[${i}]`);
  }
  const file = env['JO_API_TOKENS_FILE'];
  if (file) {
    try {
      const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (!Array.isArray(list)) problems.push(`JO_API_TOKENS_FILE ${file}: expected a JSON array`);
      else list.forEach((t: { role?: unknown; token?: unknown }, i) => add(t?.role, t?.token, `${file}[${i}]`));
    } catch (err) {
      problems.push(`JO_API_TOKENS_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (out.length === 0 && problems.length === 0)
    problems.push('no API token configured (JO_API_TOKENS or JO_API_TOKENS_FILE)');
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
