/**
 * The web console (`/console`): plain ES modules and CSS from `ops/console/public/` plus the graph layout library
 * (`@dagrejs/dagre`'s ES module build, served from node_modules), registered on the admin API's fastify app so it
 * shares the port and the bearer tokens. Nothing is built at run time and nothing is fetched from elsewhere.
 *
 * The assets themselves are public (the page must load before the user has typed a token); every piece of data the
 * page shows comes from `/v1` with the token the user entered, kept in the tab's sessionStorage. `GET /v1/console/session`
 * tells the page the token's role so that read tokens get no write buttons (the API refuses their writes anyway).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** URL prefix of the console; the auth hook of the API leaves paths under it open. */
export const CONSOLE_PREFIX = '/console';

export interface ConsoleOptions {
  /** The role of a request's `Authorization` header (the API's own TokenAuth), for the session route. */
  readonly roleOf: (authorization: string | undefined) => string | undefined;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// Only our own origin: no inline script, no CDN, no framing. `data:` for the SVG markers' fallbacks.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');

function asset(body: Buffer, name: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type: TYPES[extname(name)] ?? 'application/octet-stream', etag };
}

/** Every file under `public/` by its path relative to it (`pages/journeys.js`), read once at registration. */
function publicAssets(dir: string, base = ''): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = base ? `${base}/${name}` : name;
    if (statSync(full).isDirectory()) for (const [k, v] of publicAssets(full, rel)) out.set(k, v);
    else if (TYPES[extname(name)]) out.set(rel, asset(readFileSync(full), name));
  }
  return out;
}

/** The layout library's ES module build (it bundles graphlib; no further imports). */
function vendorAssets(): Map<string, Asset> {
  const esm = fileURLToPath(import.meta.resolve('@dagrejs/dagre'));
  const text = readFileSync(esm, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/m, '');
  return new Map([['vendor/dagre.js', asset(Buffer.from(text), esm)]]);
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  void reply.headers({ ...SECURITY_HEADERS, etag: a.etag, 'cache-control': 'no-cache' });
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}

/**
 * Registers `GET /console`, `GET /console/*` (assets; unknown names are 404, never a directory walk) and
 * `GET /v1/console/session` (the caller's role) on the API app. Call before `app.ready()`.
 */
export function registerConsole(app: FastifyInstance, opts: ConsoleOptions): void {
  const assets = new Map([...publicAssets(PUBLIC_DIR), ...vendorAssets()]);
  const index = assets.get('index.html');
  if (!index) throw new Error(`console assets missing: no index.html in ${PUBLIC_DIR}`);
  const hide = { schema: { hide: true } };

  app.get(CONSOLE_PREFIX, hide, async (_req, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
  app.get(`${CONSOLE_PREFIX}/`, hide, async (req, reply) => send(req, reply, index));
  app.get(`${CONSOLE_PREFIX}/*`, hide, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const a = assets.get(name);
    if (!a) return reply.code(404).send({ code: 'NOT_FOUND', message: `no console asset "${name}"` });
    return send(req, reply, a);
  });
  app.get(
    '/v1/console/session',
    { schema: { tags: ['console'], summary: "The caller's token role (admin or read), for the web console" } },
    async (req) => ({ role: opts.roleOf(req.headers.authorization) }),
  );
}
