/**
 * The secret policy (docs/security.md): which secret references a resource may hold, and which header and query
 * parameter names count as credentials. An admin can name a secret, never read one — but a reference to any
 * environment variable or file would let an admin send the engine's own secrets (the broker password, a cloud
 * key file) to an endpoint of their choosing. So:
 * - `{ "env": NAME }` only for variables starting with the configured prefix (`JO_SECRET_` by default);
 * - `{ "file": PATH }` only under the configured secrets directory (none by default: file references are refused),
 *   no `..`; connectors/ checks again with realpath (no symlink escape), regular files only, at most 64 KiB.
 * Pure; the call-time checks live in connectors/secrets.ts.
 */
import { posix } from 'node:path';

export interface SecretPolicy {
  /** Prefix an `{env}` reference's variable must have; `JO_SECRET_` by default. */
  readonly envPrefix: string;
  /** Absolute directory `{file}` references must be under; absent: file references are refused. */
  readonly dir?: string;
}

export const DEFAULT_SECRET_POLICY: SecretPolicy = Object.freeze({ envPrefix: 'JO_SECRET_' });
export const SECRET_REF_NOT_ALLOWED = 'SECRET_REF_NOT_ALLOWED';
/** Largest secret file read. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Header and query parameter names that carry credentials: their values must come from `auth`. */
export const CREDENTIAL_NAME = /auth|token|key|secret|passw|signature|cookie|session|credential/i;

/** Why `file` is not under `dir` by its text (`..`, not absolute), or undefined when it is. */
export function fileOutsideDir(file: string, dir: string): boolean {
  if (!file.startsWith('/') || file.split('/').includes('..')) return true;
  const base = posix.normalize(dir).replace(/\/+$/, '');
  return !posix.normalize(file).startsWith(`${base}/`);
}

/** Why a secret reference is refused under `policy`, or undefined when it is allowed. */
export function secretRefRefusal(policy: SecretPolicy, ref: unknown): string | undefined {
  if (ref === null || typeof ref !== 'object') return undefined; // shape errors are the schema's to report
  const r = ref as { env?: unknown; file?: unknown };
  if (typeof r.env === 'string' && !r.env.startsWith(policy.envPrefix))
    return `environment references must name a variable starting with ${policy.envPrefix}`;
  if (typeof r.file === 'string') {
    if (policy.dir === undefined) return 'file references are disabled (no secrets directory is configured)';
    if (fileOutsideDir(r.file, policy.dir)) return `file references must be under ${policy.dir} (no "..")`;
  }
  return undefined;
}
