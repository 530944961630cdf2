/**
 * Renders an action node into a command (PRODUCT.md → Messages → command): params evaluated (json-logic rules,
 * `{{path}}` templates or literals), the action's URL/headers/body templates rendered, a deterministic
 * `commandId` from (instance, node, attempt). Secrets are not resolved here: `auth` stays in the action config
 * and is applied by the connector.
 */
import {
  parseDurationMs,
  renderTemplate,
  templatePaths,
  type ActionCommand,
  type ActionConfig,
  type ActionNode,
  type CampaignActionConfig,
  type HttpActionConfig,
} from '../../schemas/index.js';
import { deterministicId } from './ids.js';
import { isoAt } from './iso-time.js';
import { datasourcesIn, isRule } from './journey-def.js';
import type { EmittedCommand, InstanceState } from './journey-model.js';
import { evaluateRule, type RuleData } from './rules.js';

const NO_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({});
/** Per action config and node params (both stable objects of the config view): every visit of a node asks. */
const needsCache = new WeakMap<ActionConfig, WeakMap<object, readonly string[]>>();

/** Data-source ids an action's templates and the node's template params read (rule params: the compiler's). */
export function actionNeeds(
  action: ActionConfig,
  params: Readonly<Record<string, unknown>> = NO_PARAMS,
): readonly string[] {
  let byParams = needsCache.get(action);
  if (!byParams) needsCache.set(action, (byParams = new WeakMap()));
  let ids = byParams.get(params);
  if (!ids) byParams.set(params, (ids = templateNeeds(action, params)));
  return ids;
}

function templateNeeds(action: ActionConfig, params: Readonly<Record<string, unknown>>): readonly string[] {
  const templates = [action.url, ...Object.values(action.headers ?? {})];
  if (action.type === 'http' && action.body) templates.push(action.body);
  for (const v of Object.values(params)) if (typeof v === 'string') templates.push(v);
  return Object.freeze(datasourcesIn(templates.flatMap((t) => templatePaths(t))));
}

/** Evaluates node params against the rule data. */
export function evaluateParams(
  params: Readonly<Record<string, unknown>> | undefined,
  data: RuleData,
  timezone: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (isRule(v)) out[k] = evaluateRule(v, data, timezone);
    else if (typeof v === 'string' && v.includes('{{')) out[k] = renderTemplate(v, data);
    else out[k] = v;
  }
  return out;
}

function renderHeaders(headers: Readonly<Record<string, string>> | undefined, data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k] = renderTemplate(v, data);
  return out;
}

function httpRequest(action: HttpActionConfig, data: Record<string, unknown>, params: Record<string, unknown>) {
  const headers = renderHeaders(action.headers, data);
  const hasBody = action.method !== 'GET' && action.method !== 'DELETE';
  const body = !hasBody ? undefined : action.body ? renderTemplate(action.body, data, 'json') : JSON.stringify(params);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  return { url: renderTemplate(action.url, data, 'url'), method: action.method, headers, body };
}

/** Address fields of each channel (what the Campaign connector validates), taken from params, else the profile. */
const ADDRESS_FIELDS = {
  email: ['email'],
  sms: ['mobilePhone'],
  push: ['pushPlatform', 'deviceToken', 'marketingCloudId'],
} as const;

function campaignRequest(action: CampaignActionConfig, data: Record<string, unknown>, params: Record<string, unknown>) {
  const profile = (data['profile'] ?? {}) as Record<string, unknown>;
  const { to, ...rest } = params;
  const fields = ADDRESS_FIELDS[action.channel];
  const address: Record<string, unknown> = {};
  for (const f of fields) {
    const v = f === fields[0] && to !== undefined ? to : (rest[f] ?? profile[f]);
    if (v !== undefined) address[f] = v;
  }
  const ctx = Object.fromEntries(Object.entries(rest).filter(([k]) => !(fields as readonly string[]).includes(k)));
  const headers = { 'content-type': 'application/json', ...renderHeaders(action.headers, data) };
  const url = `${renderTemplate(action.url, data, 'url').replace(/\/+$/, '')}/${encodeURIComponent(action.eventType)}`;
  return {
    request: { url, method: 'POST', headers, body: JSON.stringify({ ...address, ctx }) },
    connector: { channel: action.channel, eventType: action.eventType, ...address, ctx },
  };
}

export interface CommandInput {
  readonly action: ActionConfig;
  readonly node: ActionNode;
  readonly nodeId: string;
  readonly instance: InstanceState;
  readonly data: RuleData;
  readonly timezone: string;
  readonly now: number;
  readonly defaultTimeoutMs: number;
}

/** Builds the command of one action-node visit. Throws terminal errors from rules or templates. */
export function buildCommand(input: CommandInput): EmittedCommand {
  const { action, instance, nodeId, now } = input;
  const attempt = instance.visits[nodeId] ?? 1;
  const commandId = deterministicId('command', instance.instanceId, nodeId, attempt);
  const params = evaluateParams(input.node.params, input.data, input.timezone);
  // a copy and then a set, not `{ ...input.data, params }`: V8 builds an object spread and then given a key the
  // source lacks ~10× slower, and every later read of it (the templates' paths) is slow too (docs/benchmarks.md#replay)
  const data = Object.assign<Record<string, unknown>, RuleData>({}, input.data);
  data['params'] = params;
  const timeoutMs = action.timeoutMs ?? input.defaultTimeoutMs;
  const retries = action.retries ?? 0;
  let request: ActionCommand['request'];
  let connector: Record<string, unknown> | undefined;
  if (action.type === 'http') request = httpRequest(action, data, params);
  else ({ request, connector } = campaignRequest(action, data, params));
  request.headers['idempotency-key'] = commandId;
  const command: ActionCommand = {
    commandId,
    journeyId: instance.journeyId,
    journeyVersion: instance.version,
    instanceId: instance.instanceId,
    nodeId,
    profileKey: instance.profileKey,
    action: action.id,
    request,
    ...(connector ? { connector } : {}),
    createdAt: isoAt(now),
    // Every attempt may use the whole timeout, plus up to one second of backoff between attempts; a throttled
    // action's command may first wait up to `maxDelay` in the connector's queue.
    deadline: new Date(now + throttleDelayMs(action) + timeoutMs * (retries + 1) + 1000 * retries).toISOString(),
    timeoutMs,
    retries,
  };
  return { connector: action.type, command };
}

/** How long a command of `action` may wait in the throttle queue before it is sent (0 without `throttle`). */
function throttleDelayMs(action: ActionConfig): number {
  return action.throttle ? (parseDurationMs(action.throttle.maxDelay) ?? 0) : 0;
}
