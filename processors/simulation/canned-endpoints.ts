/**
 * Canned endpoints: what the simulation answers in place of every action and data-source call. Nothing here opens
 * a socket. Each endpoint (an action id, a data-source id) has one response or a sequence used call after call (the
 * last one repeats); without one it answers 200 `{}` at once. Action calls follow the connector's rules — up to
 * `retries` more attempts after a 5xx, 429 or timeout, none after 401/403/404; an attempt slower than the command's
 * `timeoutMs` times out — and the result arrives after the simulated time the attempts took.
 */
import {
  resultOf,
  type ActionCommand,
  type ActionResult,
  type CannedResponse,
  type CannedResponses,
  type DataSourceConfig,
} from '../../schemas/index.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const DEFAULT_RESPONSE: CannedResponse = { status: 200, body: {} };
const NO_RETRY = new Set([401, 403, 404]);
/** The connector's defaults when the command carries none. */
const DEFAULT_ACTION_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_DATASOURCE_TIMEOUT_MS = 5_000;

export interface CannedEndpointSpecs {
  readonly actions?: Readonly<Record<string, CannedResponses>>;
  readonly datasources?: Readonly<Record<string, CannedResponses>>;
}

/** The result of one simulated command and how long after its creation it arrives. */
export interface SimulatedCall {
  readonly result: ActionResult;
  readonly latencyMs: number;
}

/**
 * A result with the fields in the order a connector writes them (`resultOf`'s, attempts, status, then `rest`'s):
 * `resultOf`'s object and assignments, not spreads of objects of several shapes (a replay makes one per command).
 */
function result(
  cmd: ActionCommand,
  attempts: number,
  status: ActionResult['status'],
  rest: Pick<ActionResult, 'httpStatus' | 'error' | 'response'>,
): ActionResult {
  const r: Mutable<ActionResult> = resultOf(cmd) as Mutable<ActionResult>;
  r.attempts = attempts;
  r.status = status;
  if (rest.httpStatus !== undefined) r.httpStatus = rest.httpStatus;
  if (rest.error !== undefined) r.error = rest.error;
  if ('response' in rest) r.response = rest.response;
  return r;
}

/** Time from a command's creation to its deadline. */
function budgetOf(cmd: ActionCommand): number {
  return Math.max(0, Date.parse(cmd.deadline) - Date.parse(cmd.createdAt));
}

function ok(status: number): boolean {
  return status >= 200 && status < 300;
}

export class CannedEndpoints {
  private readonly calls = new Map<string, number>();

  constructor(private readonly specs: CannedEndpointSpecs = {}) {}

  /** The next response of an endpoint (counting the call). */
  private next(kind: 'actions' | 'datasources', id: string): CannedResponse {
    const k = `${kind}/${id}`;
    const n = this.calls.get(k) ?? 0;
    this.calls.set(k, n + 1);
    const spec = this.specs[kind]?.[id];
    if (spec === undefined) return DEFAULT_RESPONSE;
    if (!Array.isArray(spec)) return spec;
    return spec[Math.min(n, spec.length - 1)] ?? DEFAULT_RESPONSE;
  }

  /** Runs a command's attempts against the canned action endpoint; the result a connector would write. */
  call(cmd: ActionCommand): SimulatedCall {
    const timeoutMs = cmd.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
    const attemptsAllowed = 1 + Math.min(3, Math.max(0, cmd.retries ?? DEFAULT_RETRIES));
    // the command's time budget (two date parses) is read only when it can matter: an attempt took time or failed
    // (a replay's commands mostly answer at once)
    let budget: number | undefined;
    let elapsed = 0;
    let attempts = 0;
    let last: { status?: number; body?: unknown; timedOut: boolean } = { timedOut: false };
    while (attempts < attemptsAllowed) {
      const r = this.next('actions', cmd.action);
      attempts += 1;
      const latency = r.latencyMs ?? 0;
      const timedOut = latency > timeoutMs;
      elapsed += timedOut ? timeoutMs : latency;
      const status = r.status ?? 200;
      last = timedOut ? { timedOut } : { status, body: r.body ?? {}, timedOut };
      if (!timedOut && (ok(status) || NO_RETRY.has(status))) break;
      budget ??= budgetOf(cmd);
      if (elapsed >= budget) break;
    }
    if (elapsed > 0) budget ??= budgetOf(cmd);
    const latencyMs = budget === undefined ? elapsed : Math.min(elapsed, budget);
    if (last.timedOut || (budget !== undefined && elapsed > budget))
      return { latencyMs, result: result(cmd, attempts, 'timedout', { error: `no answer within ${timeoutMs} ms` }) };
    const status = last.status ?? 200;
    const response = last.body === undefined ? {} : { response: last.body };
    if (ok(status)) return { latencyMs, result: result(cmd, attempts, 'ok', { httpStatus: status, ...response }) };
    return {
      latencyMs,
      result: result(cmd, attempts, 'error', { httpStatus: status, error: `HTTP ${status}`, ...response }),
    };
  }

  /**
   * A data-source fetch: resolves with the canned body, rejects on a non-2xx status or a latency over the data
   * source's timeout. Latency does not move the simulated clock (the engine waits for data sources inline).
   */
  fetch(ds: DataSourceConfig): Promise<unknown> {
    const r = this.next('datasources', ds.id);
    const timeoutMs = ds.timeoutMs ?? DEFAULT_DATASOURCE_TIMEOUT_MS;
    if ((r.latencyMs ?? 0) > timeoutMs)
      return Promise.reject(new Error(`data source "${ds.id}" did not answer within ${timeoutMs} ms`));
    const status = r.status ?? 200;
    if (!ok(status)) return Promise.reject(new Error(`data source "${ds.id}" answered HTTP ${status}`));
    return Promise.resolve(r.body ?? {});
  }

  /** Calls made so far per endpoint, as `actions/<id>` and `datasources/<id>`, sorted. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.calls].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
