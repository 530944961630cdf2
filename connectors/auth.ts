/**
 * Auth modes of actions and data sources (`none`, `basic`, `apiKey` in header or query, `bearer`, `oauth2`
 * client credentials). Secrets are resolved here, in the process that makes the call. OAuth2 tokens are cached
 * per (token URL, client, scope), refreshed shortly before expiry, and dropped when an endpoint answers 401.
 */
import { request, type Dispatcher } from 'undici';
import { urlRefusal, type Auth, type OutboundPolicy } from '../schemas/index.js';
import { ConnectorCodes, ConnectorRetryableError, ConnectorTerminalError } from './errors.js';
import { isOutboundRefusal } from './outbound-policy.js';
import type { SecretResolver } from './secrets.js';
import { readCapped } from './capped-body.js';
import type { Timer } from '../topology/index.js';

type OAuth2Auth = Extract<Auth, { type: 'oauth2' }>;

interface CachedToken {
  readonly token: string;
  /** Epoch ms after which the token is refreshed (a little before the server's expiry). */
  readonly refreshAt: number;
}

/** Largest token endpoint answer read; a token response is a few hundred bytes. */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
/** Tokens cached at most (one per token URL, client and scope: bounded by the configs, capped anyway). */
export const MAX_CACHED_TOKENS = 1_000;

/** Caches OAuth2 client-credentials tokens; concurrent callers share one token request. */
export class OAuth2TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  /** Token requests made (for metrics and tests). */
  fetched = 0;

  constructor(
    private readonly secrets: SecretResolver,
    private readonly timer: Timer,
    private readonly dispatcher?: Dispatcher,
    private readonly outbound?: OutboundPolicy,
  ) {}

  private key(a: OAuth2Auth): string {
    return `${a.tokenUrl}|${a.clientId}|${a.scope ?? ''}`;
  }

  /** A valid token, fetching one when none is cached or the cached one is about to expire. */
  async token(a: OAuth2Auth): Promise<string> {
    const k = this.key(a);
    const hit = this.tokens.get(k);
    if (hit && hit.refreshAt > this.timer.now()) return hit.token;
    let p = this.pending.get(k);
    if (!p) {
      p = this.fetch(a).finally(() => this.pending.delete(k));
      this.pending.set(k, p);
    }
    const t = await p;
    this.tokens.delete(k);
    this.tokens.set(k, t);
    if (this.tokens.size > MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
    return t.token;
  }

  /** Forgets `token` (an endpoint rejected it with 401); the next `token()` fetches a new one. */
  invalidate(a: OAuth2Auth, token: string): void {
    const k = this.key(a);
    if (this.tokens.get(k)?.token === token) this.tokens.delete(k);
  }

  private async fetch(a: OAuth2Auth): Promise<CachedToken> {
    const refused = this.outbound ? urlRefusal(this.outbound, a.tokenUrl) : undefined;
    if (refused !== undefined) throw new ConnectorTerminalError(ConnectorCodes.urlNotAllowed, `token URL: ${refused}`);
    const secret = await this.secrets.resolve(a.clientSecret);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (a.scope) form.set('scope', a.scope);
    const basic = Buffer.from(`${encodeURIComponent(a.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    this.fetched += 1;
    let status: number;
    let text: string | undefined;
    try {
      const res = await request(a.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      status = res.statusCode;
      text = await readCapped(res.body, MAX_TOKEN_RESPONSE_BYTES);
    } catch (err) {
      if (isOutboundRefusal(err))
        throw new ConnectorTerminalError(ConnectorCodes.urlNotAllowed, `token URL: ${(err as Error).message}`);
      throw new ConnectorRetryableError(ConnectorCodes.oauthTokenFailed, `token endpoint unreachable: ${String(err)}`);
    }
    if (text === undefined)
      throw new ConnectorTerminalError(
        ConnectorCodes.oauthTokenFailed,
        `token endpoint answered more than ${MAX_TOKEN_RESPONSE_BYTES} bytes`,
      );
    if (status < 200 || status >= 300) {
      const E = status >= 500 || status === 429 ? ConnectorRetryableError : ConnectorTerminalError;
      throw new E(ConnectorCodes.oauthTokenFailed, `token endpoint answered ${status}`, status);
    }
    return this.parse(text);
  }

  private parse(text: string): CachedToken {
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ConnectorTerminalError(ConnectorCodes.oauthTokenFailed, 'token endpoint answered non-JSON');
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ConnectorTerminalError(ConnectorCodes.oauthTokenFailed, 'token endpoint answered no access_token');
    }
    const lifetimeMs = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 3_600_000;
    // Refresh early so a token never expires in flight: 10% of its life, at most 30 s.
    const skew = Math.min(30_000, lifetimeMs * 0.1);
    return { token: body.access_token, refreshAt: this.timer.now() + lifetimeMs - skew };
  }
}

/** A request after auth was applied; `token` is the OAuth2 token used (to invalidate on 401). */
export interface AuthedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly token?: string;
}

/** Adds the credentials of `auth` to a request (header or query string). */
export async function applyAuth(
  auth: Auth | undefined,
  url: string,
  headers: Readonly<Record<string, string>>,
  secrets: SecretResolver,
  tokens: OAuth2TokenCache,
): Promise<AuthedRequest> {
  const h: Record<string, string> = { ...headers };
  if (!auth || auth.type === 'none') return { url, headers: h };
  switch (auth.type) {
    case 'basic': {
      const pw = await secrets.resolve(auth.password);
      h['authorization'] = `Basic ${Buffer.from(`${auth.username}:${pw}`).toString('base64')}`;
      return { url, headers: h };
    }
    case 'bearer':
      h['authorization'] = `Bearer ${await secrets.resolve(auth.token)}`;
      return { url, headers: h };
    case 'apiKey': {
      const v = await secrets.resolve(auth.value);
      if (auth.in === 'header') {
        h[auth.name.toLowerCase()] = v;
        return { url, headers: h };
      }
      const u = new URL(url);
      u.searchParams.set(auth.name, v);
      return { url: u.toString(), headers: h };
    }
    case 'oauth2': {
      const token = await tokens.token(auth);
      h['authorization'] = `Bearer ${token}`;
      return { url, headers: h, token };
    }
  }
}
