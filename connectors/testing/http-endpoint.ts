/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) standing in for third-party endpoints in integration tests:
 * it records every request and answers as programmed, per path or globally (`'*'`). Behaviours: a fixed
 * response, fail N times then succeed, stall (never answer, or answer late), rate-limit (429 + Retry-After over
 * a rate), and an OAuth2 client-credentials token endpoint with expiring tokens that can guard other paths.
 *
 * Used by tests only; it reads the real clock (the system under test is what must not).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path plus query, as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased header names (node:http). */
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** JSON body parsed, form body as an object, otherwise the raw string (undefined when empty). */
  readonly body: unknown;
  /** Epoch ms when the request was fully received. */
  readonly at: number;
  /** Monotonic ms (performance.now) when fully received: use for rates and spans. */
  readonly hr: number;
}

/** What to answer. `delayMs` answers late; a JSON-able `body` is sent as JSON, a string as text. */
export interface ResponseSpec {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
}

/** `'stall'` keeps the request open until the client gives up or the server closes. */
export type Reply = ResponseSpec | 'stall';

/** A programmed behaviour: `n` is the 1-based count of requests this rule has seen. */
export type Handler = (req: RecordedRequest, n: number) => Reply | Promise<Reply>;

export interface OAuth2Options {
  /** client id → secret; default `{ client: 'secret' }`. */
  readonly clients?: Readonly<Record<string, string>>;
  /** Lifetime of issued tokens in seconds (`expires_in`); default 3600. */
  readonly expiresInS?: number;
}

/** The state of an OAuth2 token endpoint programmed on a {@link TestHttpEndpoint}. */
export interface OAuth2Issuer {
  readonly tokenUrl: string;
  /** Tokens issued so far. */
  issued(): number;
  /** Every issued token, oldest first. */
  tokens(): readonly string[];
  /** True when `token` was issued, has not expired and was not revoked. */
  isValid(token: string): boolean;
  /** Invalidates every token issued so far (a resource guarded by it answers 401 until a new one is fetched). */
  revokeAll(): void;
}

export interface RateLimitOptions {
  /** Requests accepted in any sliding 1-second window. */
  readonly perSecond: number;
  /** `Retry-After` seconds on a 429; default 1. */
  readonly retryAfterS?: number;
  /** The answer to accepted requests; default 200 `{ ok: true }`. */
  readonly then?: ResponseSpec;
}

const OK: ResponseSpec = { status: 200, body: { ok: true } };

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** A running endpoint; create it with {@link startHttpEndpoint}, `close()` it in `afterAll`. */
export class TestHttpEndpoint {
  private readonly recorded: RecordedRequest[] = [];
  private readonly rules = new Map<string, { handler: Handler; count: number }>();
  private readonly guards = new Map<string, OAuth2Issuer>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();

  private readonly server: Server;
  private address: string | undefined;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const u = new URL(req.url ?? '/', 'http://127.0.0.1');
        const rec: RecordedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          path: u.pathname,
          query: Object.fromEntries(u.searchParams),
          headers: req.headers,
          rawBody: raw,
          body: parseBody(raw, req.headers['content-type']),
          at: Date.now(),
          hr: performance.now(),
        };
        void this.handle(rec, res);
      });
    });
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
  }

  /** `http://127.0.0.1:<port>`, once listening. */
  get url(): string {
    if (!this.address) throw new Error('the test endpoint is not listening yet (use it inside a test or hook)');
    return this.address;
  }

  /** Starts a server on 127.0.0.1 on an ephemeral port. */
  static async start(): Promise<TestHttpEndpoint> {
    const s = new TestHttpEndpoint();
    await s.listen();
    return s;
  }

  /**
   * An endpoint for a whole test file, usable at once: it listens before the file's tests (beforeAll) and closes
   * after them (afterAll). Call it at the top level of a test file.
   */
  static forSuite(): TestHttpEndpoint {
    const s = new TestHttpEndpoint();
    beforeAll(() => s.listen());
    afterAll(() => s.close());
    return s;
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.address = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every request so far (optionally only those to `path`), oldest first. */
  requests(path?: string): readonly RecordedRequest[] {
    return path === undefined ? [...this.recorded] : this.recorded.filter((r) => r.path === path);
  }

  /** Forgets recorded requests and every programmed rule and guard. */
  reset(): void {
    this.recorded.length = 0;
    this.rules.clear();
    this.guards.clear();
  }

  /** Programs `path` (exact pathname, or `'*'` for every path without its own rule) with a handler. */
  route(path: string, handler: Handler): this {
    this.rules.set(path, { handler, count: 0 });
    return this;
  }

  /** Always answers `spec` on `path`. */
  respond(path: string, spec: ResponseSpec): this {
    return this.route(path, () => spec);
  }

  /** Answers the given replies in order, then `then` forever. */
  sequence(path: string, replies: readonly Reply[], then: Reply = OK): this {
    return this.route(path, (_req, n) => replies[n - 1] ?? then);
  }

  /** Fails the first `n` requests with `failure` (default 500), then answers `then` (default 200). */
  failTimes(
    path: string,
    n: number,
    failure: ResponseSpec = { status: 500, body: { error: 'boom' } },
    then = OK,
  ): this {
    return this.sequence(
      path,
      Array.from({ length: n }, () => failure),
      then,
    );
  }

  /** Never answers (`delayMs` undefined) or answers `then` after `delayMs`. */
  stall(path: string, delayMs?: number, then: ResponseSpec = OK): this {
    return this.route(path, () => (delayMs === undefined ? 'stall' : { ...then, delayMs }));
  }

  /** 429 with `Retry-After` once more than `perSecond` requests arrived in the last second. */
  rateLimit(path: string, opts: RateLimitOptions): this {
    const accepted: number[] = [];
    return this.route(path, (req) => {
      while (accepted.length > 0 && (accepted[0] ?? 0) <= req.hr - 1000) accepted.shift();
      if (accepted.length >= opts.perSecond) {
        return {
          status: 429,
          headers: { 'retry-after': String(opts.retryAfterS ?? 1) },
          body: { error: 'rate limited' },
        };
      }
      accepted.push(req.hr);
      return opts.then ?? OK;
    });
  }

  /**
   * Programs `path` as an OAuth2 client-credentials token endpoint (form body or HTTP Basic client auth).
   * Issued tokens expire after `expiresInS` (server time) and can be revoked.
   */
  oauth2(path: string, opts: OAuth2Options = {}): OAuth2Issuer {
    const clients = opts.clients ?? { client: 'secret' };
    const lifetimeS = opts.expiresInS ?? 3600;
    const tokens = new Map<string, { expiresAt: number; revoked: boolean }>();
    const order: string[] = [];
    this.route(path, (req) => {
      const form = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, string>;
      let id = form['client_id'];
      let secret = form['client_secret'];
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
      if (basic?.[1]) {
        const [u, p] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
        id = decodeURIComponent(u ?? '');
        secret = decodeURIComponent(p ?? '');
      }
      if (req.method !== 'POST' || form['grant_type'] !== 'client_credentials') {
        return { status: 400, body: { error: 'unsupported_grant_type' } };
      }
      if (id === undefined || clients[id] === undefined || clients[id] !== secret) {
        return { status: 401, body: { error: 'invalid_client' } };
      }
      const token = `tok-${order.length + 1}-${randomUUID()}`;
      tokens.set(token, { expiresAt: Date.now() + lifetimeS * 1000, revoked: false });
      order.push(token);
      return {
        status: 200,
        body: { access_token: token, token_type: 'Bearer', expires_in: lifetimeS, scope: form['scope'] },
      };
    });
    return {
      tokenUrl: `${this.url}${path}`,
      issued: () => order.length,
      tokens: () => [...order],
      isValid: (t) => {
        const e = tokens.get(t);
        return e !== undefined && !e.revoked && e.expiresAt > Date.now();
      },
      revokeAll: () => tokens.forEach((e) => (e.revoked = true)),
    };
  }

  /** Requests to `path` (or `'*'`) without a valid bearer token from `issuer` get 401 before any rule runs. */
  protect(path: string, issuer: OAuth2Issuer): this {
    this.guards.set(path, issuer);
    return this;
  }

  /**
   * Resolves with the matching requests once at least `n` arrived; rejects after `timeoutMs` with how many did.
   * `filter` is a path or a predicate.
   */
  async waitForRequests(
    n: number,
    timeoutMs = 10_000,
    filter?: string | ((r: RecordedRequest) => boolean),
  ): Promise<RecordedRequest[]> {
    const pick = (): RecordedRequest[] =>
      filter === undefined
        ? [...this.recorded]
        : this.recorded.filter(typeof filter === 'string' ? (r) => r.path === filter : filter);
    const now = pick();
    if (now.length >= n) return now;
    return new Promise<RecordedRequest[]>((resolve, reject) => {
      const check = (): void => {
        const got = pick();
        if (got.length < n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(got);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`waitForRequests: ${pick().length} of ${n} requests within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Stops listening and drops every open connection (stalled requests included). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(rec: RecordedRequest, res: ServerResponse): Promise<void> {
    this.recorded.push(rec);
    for (const w of [...this.waiters]) w();
    const guard = this.guards.get(rec.path) ?? this.guards.get('*');
    if (guard) {
      const m = /^Bearer (.+)$/i.exec(rec.headers.authorization ?? '');
      if (!m?.[1] || !guard.isValid(m[1])) {
        this.send(res, { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { error: 'invalid_token' } });
        return;
      }
    }
    const rule = this.rules.get(rec.path) ?? this.rules.get('*');
    let reply: Reply = OK;
    if (rule) {
      rule.count += 1;
      try {
        reply = await rule.handler(rec, rule.count);
      } catch (err) {
        reply = { status: 599, body: { error: `test handler threw: ${String(err)}` } };
      }
    }
    if (reply === 'stall') return;
    const spec = reply;
    if (spec.delayMs !== undefined && spec.delayMs > 0) {
      const t = setTimeout(() => this.send(res, spec), spec.delayMs);
      res.on('close', () => clearTimeout(t));
      return;
    }
    this.send(res, spec);
  }

  private send(res: ServerResponse, spec: ResponseSpec): void {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = { ...spec.headers };
    let payload = '';
    if (spec.body !== undefined) {
      if (typeof spec.body === 'string') {
        payload = spec.body;
        headers['content-type'] ??= 'text/plain; charset=utf-8';
      } else {
        payload = JSON.stringify(spec.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(spec.status ?? 200, headers);
    res.end(payload);
  }
}

/** Starts a {@link TestHttpEndpoint} on 127.0.0.1 with an ephemeral port. */
export function startHttpEndpoint(): Promise<TestHttpEndpoint> {
  return TestHttpEndpoint.start();
}
