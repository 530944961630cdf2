/**
 * Resolves SecretRefs (`{ env }` | `{ file }`) in the process that uses them; secrets never travel in commands
 * or config. Values are cached for `ttlMs` so a rotated file is picked up without a restart.
 */
import { readFile } from 'node:fs/promises';
import type { SecretRef } from '../schemas/index.js';
import { ConnectorCodes, ConnectorTerminalError } from './errors.js';
import { systemTimer, type Timer } from './timer.js';

export interface SecretResolverOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly ttlMs?: number;
  readonly timer?: Timer;
}

/** Resolves secret references; throws `SECRET_UNRESOLVED` (terminal) when a secret is missing or empty. */
export class SecretResolver {
  private readonly cache = new Map<string, { value: string; at: number }>();
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly ttlMs: number;
  private readonly timer: Timer;

  constructor(opts: SecretResolverOptions = {}) {
    this.env = opts.env ?? process.env;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.timer = opts.timer ?? systemTimer;
  }

  async resolve(ref: SecretRef): Promise<string> {
    const key = 'env' in ref ? `env:${ref.env}` : `file:${ref.file}`;
    const hit = this.cache.get(key);
    if (hit && this.timer.now() - hit.at < this.ttlMs) return hit.value;
    const value = 'env' in ref ? this.fromEnv(ref.env) : await this.fromFile(ref.file);
    this.cache.set(key, { value, at: this.timer.now() });
    return value;
  }

  private fromEnv(name: string): string {
    const v = this.env[name];
    if (v === undefined || v === '') {
      throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `environment variable ${name} is not set`);
    }
    return v;
  }

  private async fromFile(path: string): Promise<string> {
    let v: string;
    try {
      v = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `cannot read secret file ${path}`, undefined, {
        cause: err,
      });
    }
    if (v === '') throw new ConnectorTerminalError(ConnectorCodes.secretUnresolved, `secret file ${path} is empty`);
    return v;
  }
}
