/**
 * Turns one command into one result with the shared HTTP client: limits from the command (timeoutMs, retries)
 * and the action config (auth, rateLimit, maxConcurrency), the endpoint origin's limits, metrics per action.
 * Used by every action connector; the connectors differ only in how they build the request.
 */
import {
  resultOf,
  type ActionCommand,
  type ActionConfig,
  type ActionResult,
  type ResultStatus,
} from '../schemas/index.js';
import { noopMetrics, type Metrics } from '../topology/index.js';
import { connectorMetrics } from './metric-catalogue.js';
import { ConnectorCodes, type ConnectorCode } from './errors.js';
import { HttpClient, type HttpOutcome, type HttpRequest } from './http-client.js';
import type { LimitSpec } from './limits.js';

/**
 * What the connector knows of a command's earlier attempts (made by an incarnation that crashed before its
 * result was committed), and how it records each next attempt durably before the call is sent.
 */
export interface AttemptContext {
  readonly priorAttempts: number;
  /** Rejects when the attempt could not be recorded: the call is then not made and the rejection propagates. */
  readonly beforeAttempt: (attempt: number) => Promise<void>;
}

/** Finds the action config of a command (auth, rate limit, concurrency, defaults). */
export type ActionConfigLookup = (actionId: string) => ActionConfig | undefined;

/** Limits of one endpoint origin (`https://host:port`), shared by every action calling it. */
export type OriginLimits = (origin: string) => Omit<LimitSpec, 'key'> | undefined;

export interface ActionExecutorOptions {
  /** Shared HTTP client (pool, secrets, tokens, limits); a new one with the process-wide limits by default. */
  readonly http?: HttpClient;
  readonly actionConfig?: ActionConfigLookup;
  readonly originLimits?: OriginLimits;
  readonly metrics?: Metrics;
  /** Per-attempt timeout when neither command nor config says; default 10 s (always clamped to 1–30 s). */
  readonly defaultTimeoutMs?: number;
  /** Retries when neither command nor config says; default 2 (clamped to 0–3). */
  readonly defaultRetries?: number;
  /** How long a command may wait for rate/concurrency limits before it is `capped`; default 10 s. */
  readonly maxWaitMs?: number;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));

export class ActionExecutor {
  private readonly calls;
  private readonly duration;
  readonly http: HttpClient;
  private readonly ownsHttp: boolean;

  constructor(private readonly opts: ActionExecutorOptions) {
    this.http = opts.http ?? new HttpClient();
    this.ownsHttp = opts.http === undefined;
    const m = opts.metrics ?? noopMetrics;
    this.calls = m.counter(connectorMetrics.actionCalls);
    this.duration = m.histogram(connectorMetrics.actionCallDuration);
  }

  /** Closes the HTTP client if this executor created it. */
  async close(): Promise<void> {
    if (this.ownsHttp) await this.http.close();
  }

  config(cmd: ActionCommand): ActionConfig | undefined {
    return this.opts.actionConfig?.(cmd.action);
  }

  /** A result that did not call the endpoint (bad target address, ...). */
  reject(cmd: ActionCommand, status: ResultStatus, code: ConnectorCode, message: string): ActionResult {
    this.calls.inc({ action: cmd.action, status });
    return toResult(cmd, { status, attempts: 0, code, error: message }, this.http.timer.now());
  }

  /**
   * Calls the endpoint for `cmd` with `req` (the command's own request unless a connector built another). The
   * action's credentials go only to the origin of its configured URL: a command whose URL points elsewhere (a
   * record produced straight to the command topic, or a template that moved the host) gets `ORIGIN_MISMATCH`.
   * Rejects only when `attempts.beforeAttempt` does (nothing was sent).
   */
  async execute(cmd: ActionCommand, req: HttpRequest = cmd.request, attempts?: AttemptContext): Promise<ActionResult> {
    const t0 = this.http.timer.now();
    const cfg = this.config(cmd);
    const mismatch = cfg ? originMismatch(cfg.url, req.url) : undefined;
    if (mismatch !== undefined) return this.reject(cmd, 'error', ConnectorCodes.originMismatch, mismatch);
    const limits: LimitSpec[] = [
      { key: `action:${cmd.action}`, perSecond: cfg?.rateLimit?.perSecond, maxConcurrency: cfg?.maxConcurrency },
    ];
    const origin = originOf(req.url);
    const ol = origin === undefined ? undefined : this.opts.originLimits?.(origin);
    if (origin !== undefined && ol) limits.push({ ...ol, key: `origin:${origin}` });
    const outcome = await this.http.call(req, {
      auth: cfg?.auth,
      timeoutMs: clamp(cmd.timeoutMs ?? cfg?.timeoutMs ?? this.opts.defaultTimeoutMs ?? 10_000, 1_000, 30_000),
      retries: clamp(cmd.retries ?? cfg?.retries ?? this.opts.defaultRetries ?? 2, 0, 3),
      deadline: Date.parse(cmd.deadline),
      idempotencyKey: cmd.commandId,
      limits,
      maxWaitMs: this.opts.maxWaitMs ?? 10_000,
      ...(attempts ? { priorAttempts: attempts.priorAttempts, beforeAttempt: attempts.beforeAttempt } : {}),
    });
    const t1 = this.http.timer.now();
    this.calls.inc({ action: cmd.action, status: outcome.status });
    this.duration.observe({ action: cmd.action }, (t1 - t0) / 1000);
    return toResult(cmd, outcome, t1);
  }
}

/** The origin of a configured (templated) URL: its scheme, host and port are literal by the save-time rules. */
export function configuredOrigin(template: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(template);
  if (!m || /\{\{|\}\}/.test(m[1] as string)) return undefined;
  return originOf(`${m[1]}/`);
}

/** Why `url` may not carry the credentials of an action configured with `template`, or undefined. */
function originMismatch(template: string, url: string): string | undefined {
  const want = configuredOrigin(template);
  const got = originOf(url);
  if (want !== undefined && want === got) return undefined;
  return `the command's URL origin ${got ?? '(invalid)'} is not the action's configured origin ${want ?? '(templated)'}`;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Builds the `jo.action-results` record of a command from an HTTP outcome. */
export function toResult(cmd: ActionCommand, o: HttpOutcome, now: number): ActionResult {
  return {
    ...resultOf(cmd),
    status: o.status,
    attempts: o.attempts,
    ...(o.httpStatus !== undefined ? { httpStatus: o.httpStatus } : {}),
    ...(o.response !== undefined ? { response: o.response } : {}),
    ...(o.code !== undefined ? { error: `${o.code}: ${o.error ?? ''}` } : {}),
    completedAt: new Date(now).toISOString(),
  };
}
