/**
 * Resolves SecretRefs (`{ env }` | `{ file }`) in the process that uses them; secrets never travel in commands
 * or config. The secret policy (schemas/secret-policy.ts, docs/security.md) is enforced again here, whatever the
 * config topic holds: `{env}` only for variables with the configured prefix; `{file}` only for regular files of at
 * most 64 KiB whose real path (symlinks resolved) lies under the real secrets directory. Values are cached for
 * `ttlMs` so a rotated file is picked up without a restart.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import {
  DEFAULT_SECRET_POLICY,
  MAX_SECRET_FILE_BYTES,
  fileOutsideDir,
  type SecretPolicy,
  type SecretRef,
} from '../schemas/index.js';
import { ConnectorCodes, ConnectorTerminalError } from './errors.js';
import { systemTimer, type Timer } from '../topology/index.js';

export interface SecretResolverOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly ttlMs?: number;
  readonly timer?: Timer;
  /** Which references may be resolved; default `JO_SECRET_` variables and no files. */
  readonly policy?: SecretPolicy;
}

/** Resolved secrets kept at most (one per distinct reference in the configs; capped anyway). */
export const MAX_CACHED_SECRETS = 1_000;

const refused = (message: string) => new ConnectorTerminalError(ConnectorCodes.secretRefNotAllowed, message);

/**
 * Resolves secret references; throws `SECRET_REF_NOT_ALLOWED` for one outside the policy and `SECRET_UNRESOLVED`
 * (terminal) when a secret is missing or empty.
 */
export class SecretResolver {
  private readonly cache = new Map<string, { value: string; at: number }>();
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly ttlMs: number;
  private readonly timer: Timer;
  readonly policy: SecretPolicy;

  constructor(opts: SecretResolverOptions = {}) {
    this.env = opts.env ?? process.env;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.timer = opts.timer ?? systemTimer;
    this.policy = opts.policy ?? DEFAULT_SECRET_POLICY;
  }

  async resolve(ref: SecretRef): Promise<string> {
    const key = 'env' in ref ? `env:${ref.env}` : `file:${ref.file}`;
    const hit = this.cache.get(key);
    if (hit && this.timer.now() - hit.at < this.ttlMs) return hit.value;
    const value = 'env' in ref ? this.fromEnv(ref.env) : await this.fromFile(ref.file);
    this.cache.delete(key);
    this.cache.set(key, { value, at: this.timer.now() });
    if (this.cache.size > MAX_CACHED_SECRETS) this.cache.delete(this.cache.keys().next().value as string);
    return value;
  }

  private fromEnv(name: string): string {
    if (!name.startsWith(this.policy.envPrefix))
      throw refused(`environment variable ${name} does not start with ${this.policy.envPrefix}`);
    const v = this.env[name];
    if (v === undefined || v === '') {
      throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `environment variable ${name} is not set`);
    }
    return v;
  }

  /** The real path of `path` when it lies under the real secrets directory. */
  private async located(path: string): Promise<string> {
    const dir = this.policy.dir;
    if (dir === undefined) throw refused(`file reference ${path}: no secrets directory is configured`);
    if (fileOutsideDir(path, dir)) throw refused(`file reference ${path} is not under ${dir}`);
    let real: string;
    let realDir: string;
    try {
      [real, realDir] = await Promise.all([realpath(path), realpath(dir)]);
    } catch (err) {
      throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `cannot read secret file ${path}`, undefined, {
        cause: err,
      });
    }
    if (!real.startsWith(realDir + sep)) throw refused(`file reference ${path} leads outside ${dir}`);
    return real;
  }

  private async fromFile(path: string): Promise<string> {
    const real = await this.located(path);
    let v: string;
    // non-blocking: a FIFO planted under the directory must not hang the open
    const fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: unknown) => {
      throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `cannot read secret file ${path}`, undefined, {
        cause: err,
      });
    });
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw refused(`secret file ${path} is not a regular file`);
      if (st.size > MAX_SECRET_FILE_BYTES) throw refused(`secret file ${path} is over ${MAX_SECRET_FILE_BYTES} bytes`);
      const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_SECRET_FILE_BYTES)
        throw refused(`secret file ${path} is over ${MAX_SECRET_FILE_BYTES} bytes`);
      v = buf
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/\r?\n$/, '');
    } finally {
      await fh.close();
    }
    if (v === '') throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `secret file ${path} is empty`);
    return v;
  }
}
