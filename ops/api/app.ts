/**
 * The admin REST API (PRODUCT.md → REST API), built without listening so tests drive it with `inject()`.
 * Composition: body parsing and guards → bearer auth → routes (resources, journeys, import/export) → one error
 * handler that renders `{ code, message, errors? }`. Health, readiness and metrics are open; everything under
 * `/v1` needs a token, and writes need an `admin` one.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import {
  DEFAULT_SECRET_POLICY,
  parseOutboundPolicy,
  type CompileOptions,
  type JourneyTestLimits,
  type ResourcePolicy,
} from '../../schemas/index.js';
import { JoError } from '../../topology/index.js';
import type { ConfigStore } from './config-store.js';
import { TokenAuth, type ApiToken } from './auth.js';
import { bodyProblems, parseJsonBody } from './body-guard.js';
import { ApiError, invalid, statusOf } from './errors.js';
import type { OpsCode } from '../codes.js';
import { keyedLock, type RouteContext } from './context.js';
import { registerResourceRoutes } from './routes-resources.js';
import { registerJourneyRoutes } from './routes-journeys.js';
import { registerBundleRoutes } from './bundle.js';
import { registerTestRoutes } from './routes-test.js';
import { registerReportRoutes } from './routes-report.js';
import type { ReportSource } from './report-view.js';
import { registerProfileRoutes } from './routes-profiles.js';
import type { ProfileControls } from './profile-controls.js';
import type { LocalProfileQuery, ProfileLookup } from './profile-lookup.js';
import { CONSOLE_PREFIX, registerConsole } from '../console/index.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Journey versions kept per journey (beyond the live one and closed ones instances may still run on). */
export const DEFAULT_VERSIONS_KEPT = 20;

export interface ApiOptions {
  /** The config topic behind the API (KafkaConfigStore in production and integration tests). */
  readonly store: ConfigStore;
  /** Bearer tokens: `admin` reads and writes, `read` only reads. */
  readonly tokens: readonly ApiToken[];
  /** Largest request body in bytes (413 above); 1 MiB by default. */
  readonly bodyLimit?: number;
  /** Clock for version timestamps; `new Date()` by default. */
  readonly now?: () => Date;
  readonly compile?: CompileOptions;
  /** Newest journey versions kept per journey; older drafts, stopped and expired closed versions are pruned. */
  readonly journeyVersionsKept?: number;
  /** Save-time outbound and secret policies; default: public addresses only, `{env}` with `JO_SECRET_`, no files. */
  readonly policy?: ResourcePolicy;
  /**
   * The engine's parts `/readyz` still waits for, by name (empty: ready); the config view's replay is always
   * waited for. The body of a 503 lists them.
   */
  readonly waiting?: () => readonly string[];
  /** Prometheus text for `/metrics` (the composition root passes its registry's output). */
  readonly metrics?: () => string | Promise<string>;
  /** Bounds of journey test requests (`POST /v1/journeys/:id/versions/:version/test`). */
  readonly journeyTest?: JourneyTestLimits;
  /** fastify logger option; off by default. */
  readonly logger?: boolean | Record<string, unknown>;
  /** `jo.reports` as read by this process (`KafkaReportView`); without it the report route answers 503. */
  readonly reports?: ReportSource;
  /** Serve the web console at `/console` (ops/console); true by default. */
  readonly console?: boolean;
  /** Writer of `jo.controls` (manual exit); without it `POST /v1/profiles/:key/journeys/:id/exit` answers 503. */
  readonly controls?: ProfileControls;
  /** Finds the pipeline process owning a profile and asks it (`GET /v1/profiles/:key`). */
  readonly profileLookup?: ProfileLookup;
  /** This process's pipeline, answering `GET /v1/internal/profiles/:key` from its own stores. */
  readonly localProfiles?: LocalProfileQuery;
}

const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);
/** POSTs that write nothing and so are allowed to `read` tokens. */
const READ_POSTS = new Set([
  '/v1/journeys/validate',
  '/v1/events/validate',
  '/v1/datasources/validate',
  '/v1/actions/validate',
]);

function errorBody(code: OpsCode, message: string, extra: Record<string, unknown> = {}) {
  return { code, message, ...extra };
}

function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError)
    return reply.code(err.statusCode).send(errorBody(err.code, err.message, { ...err.details }));
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return reply.code(statusOf('BODY_TOO_LARGE')).send(
      errorBody('BODY_TOO_LARGE', fe.message, {
        errors: [{ pointer: '', code: 'BODY_TOO_LARGE', message: fe.message }],
      }),
    );
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply
      .code(statusOf('UNSUPPORTED_MEDIA_TYPE'))
      .send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'send application/json'));
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return reply
      .code(fe.statusCode)
      .send(
        errorBody('BAD_REQUEST', fe.message, { errors: [{ pointer: '', code: 'BAD_REQUEST', message: fe.message }] }),
      );
  if (err instanceof JoError && err.retryable) {
    req.log.warn({ err }, 'config topic unavailable');
    return reply.code(503).send({ code: err.code, message: err.message });
  }
  req.log.error({ err }, 'unexpected error');
  return reply.code(statusOf('INTERNAL')).send(errorBody('INTERNAL', 'unexpected error; see the API log'));
}

/**
 * The console's static assets are open (the page asks for a token); its data comes from `/v1` with one. Decided by
 * the route that matched, not by the URL's text, so `/console/../v1/...` gets no pass.
 */
const isConsoleAsset = (route: string | undefined) => route !== undefined && route.startsWith(CONSOLE_PREFIX);

function installAuth(app: FastifyInstance, opts: ApiOptions, auth: TokenAuth): void {
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (OPEN_PATHS.has(path) || isConsoleAsset(req.routeOptions.url)) return;
    const role = auth.roleOf(req.headers.authorization);
    if (!role) {
      void reply
        .header('www-authenticate', 'Bearer')
        .code(statusOf('UNAUTHORIZED'))
        .send(errorBody('UNAUTHORIZED', 'a valid bearer token is required'));
      return reply;
    }
    const writes = !['GET', 'HEAD', 'OPTIONS'].includes(req.method) && !READ_POSTS.has(path);
    if (writes && role !== 'admin') {
      void reply.code(statusOf('FORBIDDEN')).send(errorBody('FORBIDDEN', 'this token may only read'));
      return reply;
    }
    if (!opts.store.isReady()) {
      void reply.code(statusOf('NOT_READY')).send(errorBody('NOT_READY', 'the configuration view is still loading'));
      return reply;
    }
  });
}

function installBodyHandling(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json'], { parseAs: 'string' }, (_req, text, done) => {
    const r = parseJsonBody(text as string);
    if (r.ok) done(null, r.value);
    else done(invalid(r.problems, 'the body is not valid JSON'), undefined);
  });
  // bodies are validated by the handlers (cross-resource checks need the view); route schemas document them
  app.setValidatorCompiler(() => () => true);
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined) return;
    const problems = bodyProblems(req.body);
    if (problems.length > 0) throw invalid(problems);
  });
}

function installOps(app: FastifyInstance, opts: ApiOptions): void {
  const hide = { schema: { hide: true } };
  app.get('/healthz', hide, async () => ({ status: 'ok' }));
  app.get('/readyz', hide, async (_req, reply) => {
    const waiting = [...(opts.store.isReady() ? [] : ['config view']), ...(opts.waiting?.() ?? [])];
    if (waiting.length === 0) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'not ready', waiting });
  });
  app.get('/metrics', hide, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(opts.metrics ? await opts.metrics() : ''),
  );
  app.get('/openapi.json', hide, async () => app.swagger());
}

/** Builds the API (routes registered, not listening). Call `close()` on it; the store is the caller's. */
export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // parsed as-is by our parser; prototype keys are refused with pointers by the body guard
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'journey-engine admin API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url}`)),
  );
  installBodyHandling(app);
  const auth = new TokenAuth(opts.tokens);
  installAuth(app, opts, auth);
  installOps(app, opts);
  if (opts.console ?? true) registerConsole(app, { roleOf: (h) => auth.roleOf(h) });
  const ctx: RouteContext = {
    store: opts.store,
    now: opts.now ?? (() => new Date()),
    compile: opts.compile ?? {},
    versionsKept: opts.journeyVersionsKept ?? DEFAULT_VERSIONS_KEPT,
    policy: opts.policy ?? { outbound: parseOutboundPolicy(), secrets: DEFAULT_SECRET_POLICY },
    serialize: keyedLock(),
  };
  registerResourceRoutes(app, ctx);
  registerJourneyRoutes(app, ctx);
  registerBundleRoutes(app, ctx);
  registerTestRoutes(app, ctx, opts.journeyTest);
  registerReportRoutes(app, ctx, opts.reports);
  registerProfileRoutes(app, ctx, {
    ...(opts.controls ? { controls: opts.controls } : {}),
    ...(opts.profileLookup ? { lookup: opts.profileLookup } : {}),
    ...(opts.localProfiles ? { local: opts.localProfiles } : {}),
  });
  await app.ready();
  return app;
}
