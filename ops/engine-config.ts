/**
 * Engine configuration: one schema, read from environment variables and an optional JSON file
 * (`JO_CONFIG_FILE`; environment wins), validated once at start-up with every problem listed, then frozen.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { ConfigError } from '../topology/index.js';
import { DEFAULT_TOPIC_PREFIX, parseOutboundPolicy, type ResourcePolicy } from '../schemas/index.js';

export const Roles = ['admin', 'read'] as const;

export const EngineConfigSchema = Type.Object(
  {
    kafkaBrokers: Type.Array(Type.String({ pattern: '^[^:,\\s]+:\\d{1,5}$' }), { minItems: 1 }),
    schemaRegistryUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Timeout of each schema registry request (connecting included); a registry that never answers fails then. */
    schemaRegistryTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
    applicationId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' }),
    /**
     * Names this process among the instances of one application: stable across its restarts (it fences the
     * previous incarnation's transactions) and unique per running process. Default: host name + a hash of the
     * state directory (two processes on one host need two state directories anyway).
     */
    instanceId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' }),
    topicPrefix: Type.String({ pattern: '^[A-Za-z0-9._-]{0,100}$' }),
    partitions: Type.Integer({ minimum: 1, maximum: 1000 }),
    stateDir: Type.String({ minLength: 1 }),
    processingGuarantee: Type.Union([Type.Literal('exactly_once'), Type.Literal('at_least_once')]),
    commitIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
    /** A task that has caught up commits at once rather than waiting for the interval (exactly-once only). */
    eagerCommit: Type.Boolean(),
    /** Tasks without stores pipeline their commits over two transactional producers (exactly-once only). */
    pipelinedCommits: Type.Boolean(),
    /**
     * Exactly-once: `task` gives each task its own transactions; `process` commits all of the process's tasks in one
     * transaction at a time (Kafka Streams' exactly_once_v2).
     */
    transactionScope: Type.Union([Type.Literal('task'), Type.Literal('process')]),
    /**
     * After a record from the engine's own repartition topic, a task commits this many ms after it instead of at the
     * next interval tick (an event waits out one commit interval, not two); -1: only the interval.
     */
    hopCommitDelayMs: Type.Integer({ minimum: -1, maximum: 60_000 }),
    maxEventBytes: Type.Integer({ minimum: 1024, maximum: 10_485_760 }),
    /** A fetched batch that decompresses to more than this is dead-lettered `BATCH_UNDECODABLE`. */
    maxDecompressedBatchBytes: Type.Integer({ minimum: 65_536, maximum: 2_147_483_647 }),
    /**
     * Compression of every batch the engine produces (`none`, `gzip`, `snappy`, `lz4`, `zstd`): a compressed input
     * is never re-sent larger than it came. Default lz4, the cheapest here (`npm run bench -- codecs`).
     */
    outputCompression: Type.Union(['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => Type.Literal(c))),
    /** Write discards of events that entered no journey (or failed an entry condition) as step records. */
    verboseSteps: Type.Boolean(),
    /** The read cache of all the process's local RocksDB stores together, in bytes (0: no cache). */
    storeCacheBytes: Type.Integer({ minimum: 0, maximum: 17_179_869_184 }),
    /** Fetched key + value bytes one task may hold queued before fetching its partitions pauses. */
    taskQueueBytes: Type.Integer({ minimum: 65_536, maximum: 1_073_741_824 }),
    /** Output bytes one task may gather while its previous commit is in flight before it waits for that commit. */
    taskPendingOutputBytes: Type.Integer({ minimum: 65_536, maximum: 1_073_741_824 }),
    /**
     * Processes running the journey pipeline on this host (this one and `n - 1` workers it starts and watches, in
     * the same consumer group): Node runs one process's JavaScript on one core, so this is how the pipeline uses
     * more than one (Kafka Streams' `num.stream.threads`). ops/pipeline-workers.ts.
     */
    pipelineWorkers: Type.Integer({ minimum: 1, maximum: 64 }),
    api: Type.Object({
      host: Type.String({ minLength: 1 }),
      port: Type.Integer({ minimum: 0, maximum: 65535 }),
      /** Bearer tokens and their role: `admin` may write, `read` may only read. */
      tokens: Type.Array(
        Type.Object({ token: Type.String({ minLength: 16 }), role: Type.Union(Roles.map((r) => Type.Literal(r))) }),
      ),
    }),
    /**
     * The URL other engine processes reach this one's HTTP server on (profile lookups ask the process owning a
     * profile's partition). Default: the address the server listens on; set it when that is not reachable from the
     * others (listening on 0.0.0.0, containers, NAT).
     */
    advertisedUrl: Type.Optional(Type.String({ pattern: '^https?://[^/]+$' })),
    only: Type.Array(Type.Union([Type.Literal('pipeline'), Type.Literal('api'), Type.Literal('connectors')]), {
      minItems: 1,
      uniqueItems: true,
    }),
    log: Type.Object({
      level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l))),
      format: Type.Union([Type.Literal('json'), Type.Literal('pretty')]),
    }),
    shutdownTimeoutMs: Type.Integer({ minimum: 1000, maximum: 300_000 }),
    /** Newest journey versions the API keeps per journey; older drafts, stopped and expired closed ones are pruned. */
    journeyVersionsKept: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** What actions, Campaign, data sources and token URLs may call (docs/security.md); `public` by default. */
    outboundAllow: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 1000 }),
    /** Secret references: `{env}` variables need this prefix; `{file}` paths must be under `secretsDir`. */
    secretEnvPrefix: Type.String({ minLength: 1, maxLength: 64 }),
    secretsDir: Type.Optional(Type.String({ pattern: '^/' })),
  },
  { additionalProperties: false },
);
export type EngineConfig = Static<typeof EngineConfigSchema>;

type Env = Readonly<Record<string, string | undefined>>;

const list = (s: string | undefined) =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Parses `token:role,token:role` (role defaults to admin). */
function tokens(s: string | undefined): Array<{ token: string; role: string }> | undefined {
  return list(s)?.map((t) => {
    const i = t.lastIndexOf(':');
    return i > 0 ? { token: t.slice(0, i), role: t.slice(i + 1) } : { token: t, role: 'admin' };
  });
}

const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
/** `true`/`false`; anything else is passed on for the schema to report. */
const bool = (s: string | undefined) => (s === 'true' ? true : s === 'false' ? false : s === '' ? undefined : s);

function fromEnv(env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kafkaBrokers: list(env['KAFKA_BROKERS']),
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL'],
    schemaRegistryTimeoutMs: num(env['JO_SCHEMA_REGISTRY_TIMEOUT_MS']),
    applicationId: env['JO_APPLICATION_ID'],
    instanceId: env['JO_INSTANCE_ID'],
    topicPrefix: env['JO_TOPIC_PREFIX'],
    partitions: num(env['JO_PARTITIONS']),
    stateDir: env['JO_STATE_DIR'],
    processingGuarantee: env['JO_PROCESSING_GUARANTEE'],
    commitIntervalMs: num(env['JO_COMMIT_INTERVAL_MS']),
    eagerCommit: bool(env['JO_EAGER_COMMIT']),
    pipelinedCommits: bool(env['JO_PIPELINED_COMMITS']),
    transactionScope: env['JO_TRANSACTION_SCOPE'],
    hopCommitDelayMs: num(env['JO_HOP_COMMIT_DELAY_MS']),
    maxEventBytes: num(env['JO_MAX_EVENT_BYTES']),
    outputCompression: env['JO_OUTPUT_COMPRESSION'],
    maxDecompressedBatchBytes: num(env['JO_MAX_DECOMPRESSED_BATCH_BYTES']),
    verboseSteps: bool(env['JO_VERBOSE_STEPS']),
    storeCacheBytes: num(env['JO_STORE_CACHE_BYTES']),
    taskQueueBytes: num(env['JO_TASK_QUEUE_BYTES']),
    taskPendingOutputBytes: num(env['JO_TASK_PENDING_OUTPUT_BYTES']),
    pipelineWorkers: num(env['JO_PIPELINE_WORKERS']),
    api: { host: env['JO_API_HOST'], port: num(env['JO_API_PORT']), tokens: tokens(env['JO_API_TOKENS']) },
    advertisedUrl: env['JO_ADVERTISED_URL'] || undefined,
    only: list(env['JO_ONLY']),
    log: { level: env['JO_LOG_LEVEL'], format: env['JO_LOG_FORMAT'] },
    shutdownTimeoutMs: num(env['JO_SHUTDOWN_TIMEOUT_MS']),
    journeyVersionsKept: num(env['JO_JOURNEY_VERSIONS_KEPT']),
    outboundAllow: list(env['JO_OUTBOUND_ALLOW']),
    secretEnvPrefix: env['JO_SECRET_ENV_PREFIX'] || undefined,
    secretsDir: env['JO_SECRETS_DIR'] || undefined,
  };
  return out;
}

/** Deep merge where `undefined` in `over` keeps `base`. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export const DEFAULTS = {
  applicationId: 'journey-engine',
  schemaRegistryTimeoutMs: 5_000,
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  partitions: 6,
  stateDir: '.infra/state',
  processingGuarantee: 'exactly_once',
  commitIntervalMs: 100,
  eagerCommit: false,
  pipelinedCommits: true,
  transactionScope: 'process',
  hopCommitDelayMs: 10,
  maxEventBytes: 1_048_576,
  outputCompression: 'lz4',
  maxDecompressedBatchBytes: 268_435_456,
  verboseSteps: false,
  storeCacheBytes: 67_108_864,
  taskQueueBytes: 4_194_304,
  taskPendingOutputBytes: 4_194_304,
  pipelineWorkers: 1,
  api: { host: '127.0.0.1', port: 8080, tokens: [] },
  only: ['pipeline', 'api', 'connectors'],
  log: { level: 'info', format: 'json' },
  shutdownTimeoutMs: 30_000,
  journeyVersionsKept: 20,
  outboundAllow: ['public'],
  secretEnvPrefix: 'JO_SECRET_',
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile<EngineConfig>(EngineConfigSchema);

/**
 * Builds the engine configuration: defaults ← file (`JO_CONFIG_FILE` or `opts.file`) ← environment ← `overrides`.
 * Throws ConfigError listing every problem (path and reason).
 */
export function loadEngineConfig(
  env: Env,
  opts: { file?: string; overrides?: Record<string, unknown> } = {},
): Readonly<EngineConfig> {
  const problems: string[] = [];
  let fileConfig: Record<string, unknown> = {};
  const file = opts.file ?? env['JO_CONFIG_FILE'];
  if (file) {
    try {
      fileConfig = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      problems.push(`config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const merged = merge(merge(merge({ ...DEFAULTS }, fileConfig), fromEnv(env)), opts.overrides ?? {});
  if (merged['instanceId'] === undefined) merged['instanceId'] = defaultInstanceId(String(merged['stateDir']));
  if (!validate(merged)) {
    for (const e of validate.errors ?? []) {
      const where = e.instancePath || '/';
      problems.push(
        `${where}: ${e.message ?? 'invalid'}${e.params && 'allowedValue' in e.params ? ` (${String(e.params['allowedValue'])})` : ''}`,
      );
    }
  }
  if (Array.isArray(merged['outboundAllow']))
    try {
      parseOutboundPolicy(merged['outboundAllow'] as string[]);
    } catch (err) {
      problems.push(`/outboundAllow: ${(err as Error).message}`);
    }
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(merged as EngineConfig);
}

function defaultInstanceId(stateDir: string): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 60);
  return `${host}-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 8)}`;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The outbound and secret policies of a configuration (API save-time checks and connectors' call-time checks). */
/**
 * The outbound and secret policies from the environment alone (`JO_OUTBOUND_ALLOW`, `JO_SECRET_ENV_PREFIX`,
 * `JO_SECRETS_DIR`, defaults as the engine's), for offline tools such as `jo validate` that need no broker.
 */
export function policyFromEnv(env: Env): ResourcePolicy {
  const allow = list(env['JO_OUTBOUND_ALLOW']);
  return policyOf({
    outboundAllow: allow && allow.length > 0 ? allow : [...DEFAULTS.outboundAllow],
    secretEnvPrefix: env['JO_SECRET_ENV_PREFIX'] || DEFAULTS.secretEnvPrefix,
    ...(env['JO_SECRETS_DIR'] ? { secretsDir: env['JO_SECRETS_DIR'] } : {}),
  } as EngineConfig);
}

export function policyOf(config: EngineConfig): ResourcePolicy {
  return {
    outbound: parseOutboundPolicy(config.outboundAllow),
    secrets: { envPrefix: config.secretEnvPrefix, ...(config.secretsDir ? { dir: config.secretsDir } : {}) },
  };
}
