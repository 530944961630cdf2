/**
 * The HTTP machinery of every connector: undici with a connection pool per origin, auth, a per-attempt timeout,
 * retries with exponential backoff and jitter that never go past the caller's deadline, capping/throttling
 * through a {@link LimitRegistry}, and the `Idempotency-Key` header. `call()` never throws: it returns an
 * {@link HttpOutcome} whose `status` is a result status (`ok`, `error`, `timedout`, `capped`).
 */
import { Agent, request, type Dispatcher } from 'undici';
import {
  parseOutboundPolicy,
  urlRefusal,
  type Auth,
  type OutboundPolicy,
  type ResultStatus,
} from '../schemas/index.js';
import { applyAuth, OAuth2TokenCache } from './auth.js';
import { isRetryable } from '../topology/index.js';
import { ConnectorCodes, type ConnectorCode } from './errors.js';
import { processLimits, type LimitRegistry, type LimitSpec } from './limits.js';
import { guardedConnector, isOutboundRefusal, systemResolve, type Resolve } from './outbound-policy.js';
import { SecretResolver } from './secrets.js';
import { readCapped } from './capped-body.js';
import { systemTimer, type Timer } from '../topology/index.js';

export interface HttpRequest {
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpCallOptions {
  readonly auth?: Auth;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs: number;
  /** Attempts after the first one (a 401 answered by an OAuth2 token refresh is not counted). */
  readonly retries: number;
  /** Epoch ms: no attempt starts and no backoff ends after it. Default: now + timeoutMs × (retries + 1). */
  readonly deadline?: number;
  /** Sent as `Idempotency-Key`. */
  readonly idempotencyKey?: string;
  /** Rate/concurrency limits every attempt must pass. */
  readonly limits?: readonly LimitSpec[];
  /** How long an attempt may wait for the limits before the call is `capped`. Default 10 s. */
  readonly maxWaitMs?: number;
  /**
   * Attempts already made for this call by an earlier incarnation (recorded before it crashed): they count
   * towards `retries` and `attempts`, and with one or more a passed deadline is `timedout`, never `expired`.
   */
  readonly priorAttempts?: number;
  /**
   * Awaited before each attempt is sent, with the attempt's number (counting `priorAttempts`): the connector
   * records it durably there. If it rejects, nothing is sent and `call()` rejects with that error (the only
   * case in which `call()` throws).
   */
  readonly beforeAttempt?: (attempt: number) => Promise<void>;
}

export interface HttpOutcome {
  readonly status: ResultStatus;
  readonly attempts: number;
  readonly httpStatus?: number;
  /** Parsed JSON body of the last answer, when it was JSON. */
  readonly response?: unknown;
  readonly code?: ConnectorCode;
  readonly error?: string;
}

export interface HttpClientOptions {
  readonly timer?: Timer;
  /** Randomness for backoff jitter, in [0, 1). */
  readonly random?: () => number;
  readonly secrets?: SecretResolver;
  readonly limits?: LimitRegistry;
  /** Keep-alive connections per origin; default 128. */
  readonly connectionsPerOrigin?: number;
  /** First backoff in ms (doubles each retry, capped at `maxBackoffMs`); default 100. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * What may be called (docs/security.md); default: public addresses only. Checked on the URL before a call and
   * on every resolved address when a connection opens.
   */
  readonly outbound?: OutboundPolicy;
  /** DNS resolution of host names (tests map names to chosen addresses); the system resolver by default. */
  readonly resolve?: Resolve;
}

const NO_RETRY = new Set([400, 401, 403, 404, 422]);
/** Larger answers are not parsed: a result must fit in a Kafka record next to its siblings. */
const MAX_BODY_BYTES = 256 * 1024;

interface Attempt {
  readonly httpStatus?: number;
  readonly response?: unknown;
  readonly timedOut?: boolean;
  readonly networkError?: string;
  readonly retryAfterMs?: number;
  /** The outbound policy refused every address of the host: nothing was sent. */
  readonly refused?: string;
}

export class HttpClient {
  readonly timer: Timer;
  readonly secrets: SecretResolver;
  readonly tokens: OAuth2TokenCache;
  readonly limits: LimitRegistry;
  private readonly agent: Agent;
  private readonly random: () => number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  readonly outbound: OutboundPolicy;

  constructor(opts: HttpClientOptions = {}) {
    this.timer = opts.timer ?? systemTimer;
    this.random = opts.random ?? Math.random;
    this.secrets = opts.secrets ?? new SecretResolver({ timer: this.timer });
    this.limits = opts.limits ?? processLimits;
    this.outbound = opts.outbound ?? parseOutboundPolicy();
    this.agent = new Agent({
      connections: opts.connectionsPerOrigin ?? 128,
      keepAliveTimeout: 10_000,
      pipelining: 1,
      connect: guardedConnector(this.outbound, opts.resolve ?? systemResolve),
    });
    this.tokens = new OAuth2TokenCache(this.secrets, this.timer, this.agent, this.outbound);
    this.baseBackoffMs = opts.baseBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5_000;
  }

  get dispatcher(): Dispatcher {
    return this.agent;
  }

  /**
   * Makes the call with retries; never throws (but see `beforeAttempt`). A URL the outbound policy refuses is
   * never called. A deadline that passes before any attempt gives `expired` with `attempts` 0.
   */
  async call(req: HttpRequest, opts: HttpCallOptions): Promise<HttpOutcome> {
    const refused = urlRefusal(this.outbound, req.url);
    if (refused !== undefined) return notAllowed(0, refused);
    const deadline = opts.deadline ?? this.timer.now() + opts.timeoutMs * (opts.retries + 1);
    const prior = Math.max(0, opts.priorAttempts ?? 0);
    let attempts = prior;
    // a command whose attempts were all made before a restart still gets one (same Idempotency-Key) to learn
    // its answer while the deadline allows
    let retried = Math.min(prior, opts.retries);
    let refreshed = false;
    for (;;) {
      const left = deadline - this.timer.now();
      if (left <= 0) return deadlinePassed(attempts, prior);
      let release: () => void;
      try {
        release = await this.limits.acquire(opts.limits ?? [], Math.min(opts.maxWaitMs ?? 10_000, left));
      } catch (err) {
        return { status: 'capped', attempts, code: ConnectorCodes.capped, error: (err as Error).message };
      }
      let a: Attempt;
      try {
        await opts.beforeAttempt?.(attempts + 1);
      } catch (err) {
        release();
        throw err;
      }
      if (deadline - this.timer.now() <= 0) {
        // the limits or the record took the rest of the time: nothing was sent
        release();
        return deadlinePassed(attempts, prior);
      }
      attempts += 1;
      let token: string | undefined;
      try {
        const authed = await applyAuth(opts.auth, req.url, headersOf(req, opts), this.secrets, this.tokens);
        token = authed.token;
        a = await this.attempt(req, authed.url, authed.headers, Math.min(opts.timeoutMs, deadline - this.timer.now()));
        if (a.refused !== undefined) return notAllowed(attempts - 1, a.refused);
      } catch (err) {
        // Auth failures: a token endpoint that is down may come back; a missing secret will not.
        if (!isRetryable(err)) return failed(attempts, err);
        a = { networkError: (err as Error).message };
      } finally {
        release();
      }
      if (a.httpStatus !== undefined && a.httpStatus >= 200 && a.httpStatus < 300) {
        return { status: 'ok', attempts, httpStatus: a.httpStatus, response: a.response };
      }
      if (a.httpStatus === 401 && opts.auth?.type === 'oauth2' && token !== undefined && !refreshed) {
        refreshed = true;
        this.tokens.invalidate(opts.auth, token);
        continue;
      }
      const retryable = a.httpStatus === undefined || !NO_RETRY.has(a.httpStatus);
      const delay = a.retryAfterMs ?? this.backoff(retried + 1);
      if (!retryable || retried >= opts.retries || this.timer.now() + delay >= deadline) return final(attempts, a);
      retried += 1;
      await this.timer.sleep(delay);
    }
  }

  private backoff(n: number): number {
    const exp = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (n - 1));
    return exp / 2 + (this.random() * exp) / 2;
  }

  private async attempt(req: HttpRequest, url: string, headers: Record<string, string>, ms: number): Promise<Attempt> {
    const ac = new AbortController();
    let timedOut = false;
    const cancel = this.timer.after(ms, () => {
      timedOut = true;
      ac.abort();
    });
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.body,
        signal: ac.signal,
        dispatcher: this.agent,
      });
      const text = await readCapped(res.body, MAX_BODY_BYTES);
      return {
        httpStatus: res.statusCode,
        response: text === undefined ? undefined : parseJson(text),
        retryAfterMs: retryAfter(res.headers['retry-after'], this.timer.now()),
      };
    } catch (err) {
      if (timedOut) return { timedOut: true };
      if (isOutboundRefusal(err)) return { refused: (err as Error).message };
      return { networkError: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    } finally {
      cancel();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function headersOf(req: HttpRequest, opts: HttpCallOptions): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) h[k.toLowerCase()] = v;
  if (req.body !== undefined) h['content-type'] ??= 'application/json';
  if (opts.idempotencyKey !== undefined) h['idempotency-key'] = opts.idempotencyKey;
  return h;
}

function final(attempts: number, a: Attempt): HttpOutcome {
  if (a.timedOut) return { status: 'timedout', attempts, code: ConnectorCodes.httpTimeout, error: 'no answer in time' };
  if (a.networkError !== undefined) {
    return { status: 'error', attempts, code: ConnectorCodes.httpNetwork, error: a.networkError };
  }
  return {
    status: 'error',
    attempts,
    httpStatus: a.httpStatus,
    response: a.response,
    code: ConnectorCodes.httpStatus,
    error: `endpoint answered ${a.httpStatus}`,
  };
}

function deadlinePassed(attempts: number, prior: number): HttpOutcome {
  if (attempts === 0) {
    return {
      status: 'expired',
      attempts,
      code: ConnectorCodes.deadlineExpired,
      error: 'deadline passed before any call',
    };
  }
  const before = prior > 0 ? ` (${prior} before a connector restart)` : '';
  return {
    status: 'timedout',
    attempts,
    code: ConnectorCodes.deadlineExceeded,
    error: `deadline passed after ${attempts} call(s)${before} without an answer in time`,
  };
}

function notAllowed(attempts: number, why: string): HttpOutcome {
  return { status: 'error', attempts, code: ConnectorCodes.urlNotAllowed, error: why };
}

function failed(attempts: number, err: unknown): HttpOutcome {
  const code = (err as { code?: unknown }).code;
  return {
    status: 'error',
    attempts,
    code: typeof code === 'string' ? (code as ConnectorCode) : ConnectorCodes.connectorInternal,
    error: err instanceof Error ? err.message : String(err),
  };
}

/** JSON body or undefined. */
export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `Retry-After` in ms from delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function retryAfter(h: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
