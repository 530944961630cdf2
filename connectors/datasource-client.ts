/**
 * The HTTP data-source client the journey engine is given for enrichment: renders the data source's URL,
 * headers and body templates against the journey data, then GETs/POSTs with the data source's auth and timeout.
 * Answers are cached in memory (TTL `cacheTtlMs`, bounded size); concurrent lookups of one key make one call;
 * calls are rate-limited per data source (default 15/s) and a circuit breaker per data source fails fast while
 * its endpoint is down. Errors are {@link DataSourceError}s with stable codes.
 */
import { renderTemplate, type DataSourceConfig } from '../schemas/index.js';
import { LruMap } from './lru-map.js';
import { noopMetrics, type Metrics } from '../topology/index.js';
import { connectorMetrics } from './metric-catalogue.js';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker.js';
import { ConnectorCodes, DataSourceError, type ConnectorCode } from './errors.js';
import { HttpClient, type HttpOutcome } from './http-client.js';
import { TtlCache } from './ttl-cache.js';

/** Circuit breakers kept at most (one per data source id); closed ones are dropped first. */
export const MAX_BREAKERS = 1_000;

/** Failures no retry can fix: configuration and policy refusals. */
const NOT_RETRYABLE: ReadonlySet<string> = new Set([
  ConnectorCodes.secretUnresolved,
  ConnectorCodes.secretRefNotAllowed,
  ConnectorCodes.urlNotAllowed,
]);

export interface DataSourceClientOptions {
  /** Shared HTTP client (pool, secrets, OAuth2 tokens, limits, timer); a new one by default. */
  readonly http?: HttpClient;
  readonly metrics?: Metrics;
  /** Entries kept in the answer cache over all data sources; default 10,000. */
  readonly cacheMaxEntries?: number;
  /** Bytes (request key + answer as JSON, UTF-16 estimate ×2) the answer cache may hold; default 64 MiB. */
  readonly cacheMaxBytes?: number;
  /** When the config has no `timeoutMs`; default 5 s. */
  readonly defaultTimeoutMs?: number;
  /** When the config has no `rateLimit`; default 15 calls/s (PRODUCT.md limits). */
  readonly defaultRateLimitPerSecond?: number;
  /** How long a lookup may wait for its rate limit before failing `DATASOURCE_RATE_LIMITED`; default 1 s. */
  readonly maxWaitMs?: number;
  readonly breaker?: BreakerOptions;
}

/** What the journey engine is given to fetch custom data sources. */
export interface DataSourceClient {
  /**
   * The parsed JSON answer of `config` rendered against `data` (`{ profile, event, params, ... }`), from the
   * cache when fresh. Rejects with a {@link DataSourceError}.
   */
  fetch(config: DataSourceConfig, data: unknown): Promise<unknown>;
  /** The circuit state of a data source (`closed` for one never called). */
  circuitState(datasourceId: string): BreakerState;
  /** What the client holds in memory: circuit breakers (≤ 1,000), cached answers and their estimated bytes. */
  sizes(): { readonly breakers: number; readonly cacheEntries: number; readonly cacheBytes: number };
  close(): Promise<void>;
}

export function createDataSourceClient(opts: DataSourceClientOptions = {}): DataSourceClient {
  return new HttpDataSourceClient(opts);
}

class HttpDataSourceClient implements DataSourceClient {
  private readonly http: HttpClient;
  private readonly ownsHttp: boolean;
  private readonly cache: TtlCache<unknown>;
  /** One per data source id (from configs), at most 1,000: closed breakers are dropped first. */
  private readonly breakers = new LruMap<string, CircuitBreaker>(MAX_BREAKERS, (b) => b.state === 'closed');
  private readonly calls;
  private readonly duration;

  constructor(private readonly opts: DataSourceClientOptions) {
    this.ownsHttp = opts.http === undefined;
    this.http = opts.http ?? new HttpClient();
    this.cache = new TtlCache(
      this.http.timer,
      opts.cacheMaxEntries ?? 10_000,
      opts.cacheMaxBytes ?? 64 * 1024 * 1024,
      (key, value) => 2 * (key.length + (JSON.stringify(value) ?? '').length),
    );
    const m = opts.metrics ?? noopMetrics;
    this.calls = m.counter(connectorMetrics.datasourceCalls);
    this.duration = m.histogram(connectorMetrics.datasourceCallDuration);
  }

  circuitState(id: string): BreakerState {
    return this.breakers.get(id)?.state ?? 'closed';
  }

  sizes(): { readonly breakers: number; readonly cacheEntries: number; readonly cacheBytes: number } {
    return { breakers: this.breakers.size, cacheEntries: this.cache.size, cacheBytes: this.cache.bytes };
  }

  fetch(config: DataSourceConfig, data: unknown): Promise<unknown> {
    let url: string;
    let body: string | undefined;
    let headers: Record<string, string>;
    try {
      url = renderTemplate(config.url, data, 'url');
      body = config.body === undefined ? undefined : renderTemplate(config.body, data, 'json');
      headers = Object.fromEntries(
        Object.entries(config.headers ?? {}).map(([k, v]) => [k, renderTemplate(v, data, 'none')]),
      );
      new URL(url);
    } catch (err) {
      const msg = `cannot render request: ${(err as Error).message}`;
      return Promise.reject(this.fail(config.id, ConnectorCodes.datasourceConfigInvalid, msg, false, 'error'));
    }
    const key = `${config.id}\u0000${config.method}\u0000${url}\u0000${body ?? ''}`;
    return this.cache.getOrLoad(key, config.cacheTtlMs ?? 0, () => this.load(config, url, headers, body));
  }

  private breaker(id: string): CircuitBreaker {
    let b = this.breakers.get(id);
    if (!b) {
      b = new CircuitBreaker(this.http.timer, this.opts.breaker);
      this.breakers.set(id, b);
    }
    return b;
  }

  private async load(
    config: DataSourceConfig,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<unknown> {
    const breaker = this.breaker(config.id);
    if (!breaker.tryPass()) {
      throw this.fail(config.id, ConnectorCodes.datasourceCircuitOpen, 'circuit open', true, 'circuit_open');
    }
    const t0 = this.http.timer.now();
    const timeoutMs = config.timeoutMs ?? this.opts.defaultTimeoutMs ?? 5_000;
    const maxWaitMs = this.opts.maxWaitMs ?? 1_000;
    const o = await this.http.call(
      { url, method: config.method, headers, ...(body !== undefined ? { body } : {}) },
      {
        auth: config.auth,
        timeoutMs,
        retries: 0,
        deadline: t0 + timeoutMs + maxWaitMs,
        limits: [
          {
            key: `datasource:${config.id}`,
            perSecond: config.rateLimit?.perSecond ?? this.opts.defaultRateLimitPerSecond ?? 15,
          },
        ],
        maxWaitMs,
      },
    );
    if (o.status !== 'capped') this.duration.observe({ datasource: config.id }, (this.http.timer.now() - t0) / 1000);
    return this.settle(config.id, breaker, o);
  }

  private settle(id: string, breaker: CircuitBreaker, o: HttpOutcome): unknown {
    if (o.status === 'ok') {
      breaker.success();
      this.calls.inc({ datasource: id, status: 'ok' });
      return o.response;
    }
    if (o.status === 'capped') {
      breaker.abandon();
      throw this.fail(id, ConnectorCodes.datasourceRateLimited, o.error ?? 'rate limited', true, 'rate_limited');
    }
    if (o.status === 'timedout') {
      breaker.failure();
      throw this.fail(id, ConnectorCodes.datasourceTimeout, o.error ?? 'timed out', true, 'timedout');
    }
    if (o.httpStatus !== undefined) {
      const down = o.httpStatus >= 500 || o.httpStatus === 429;
      if (down) breaker.failure();
      else breaker.success();
      const msg = `endpoint answered ${o.httpStatus}`;
      throw this.fail(id, ConnectorCodes.datasourceHttpError, msg, down, 'error', o.httpStatus);
    }
    // Only a failure to reach the endpoint says it is down; a missing secret or bad token config does not.
    if (o.code === ConnectorCodes.httpNetwork) breaker.failure();
    else breaker.abandon();
    const code = o.code === ConnectorCodes.httpNetwork ? ConnectorCodes.datasourceNetwork : (o.code ?? 'HTTP_NETWORK');
    throw this.fail(id, code, o.error ?? 'call failed', !NOT_RETRYABLE.has(code), 'error');
  }

  private fail(
    id: string,
    code: ConnectorCode,
    message: string,
    retryable: boolean,
    status: string,
    httpStatus?: number,
  ): DataSourceError {
    this.calls.inc({ datasource: id, status });
    return new DataSourceError(code, `data source ${id}: ${message}`, id, retryable, httpStatus);
  }

  async close(): Promise<void> {
    if (this.ownsHttp) await this.http.close();
  }
}
