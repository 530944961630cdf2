/**
 * The Campaign connector: email, SMS and push through a Campaign-Standard-style transactional messaging API.
 * Each command on `jo.commands.campaign` carries the event endpoint in `request.url` and, in `connector`, the
 * `channel`, the target address (`email` | `mobilePhone` | `pushPlatform` + `deviceToken`) and `ctx`. The
 * connector validates the address for the channel (a bad one gives an `error` result without a call) and POSTs
 * `{ <address fields>, ctx }` with the same HTTP client, auth, limits and retries as HTTP actions.
 */
import type { ActionCommand, ActionResult } from '../schemas/index.js';
import { ActionExecutor, type ActionExecutorOptions, type AttemptContext } from './action-executor.js';
import { CommandConsumer, type CommandConsumerOptions } from './command-consumer.js';
import { ConnectorCodes } from './errors.js';

export type CampaignChannel = 'email' | 'sms' | 'push';
export const PushPlatforms = ['apns', 'gcm', 'fcm'] as const;

const EMAIL =
  /^[^\s@"<>(),;:]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
/** E.164: a plus, a non-zero country digit, 7–15 digits in all (spaces, dots, dashes, brackets tolerated). */
const PHONE = /^\+[1-9]\d{6,14}$/;
const DEVICE_TOKEN = /^[A-Za-z0-9:_\-.]{16,4096}$/;

/** The message body for `channel`, or why the target address is not acceptable. */
export function campaignPayload(channel: unknown, fields: Readonly<Record<string, unknown>>): object | string {
  const ctx = fields['ctx'] ?? {};
  if (typeof ctx !== 'object' || ctx === null || Array.isArray(ctx)) return 'ctx must be an object';
  switch (channel) {
    case 'email': {
      const email = fields['email'];
      if (typeof email !== 'string' || !EMAIL.test(email)) return `invalid email address ${JSON.stringify(email)}`;
      return { email, ctx };
    }
    case 'sms': {
      const raw = fields['mobilePhone'];
      const phone = typeof raw === 'string' ? raw.replace(/[\s.()-]/g, '') : undefined;
      if (phone === undefined || !PHONE.test(phone)) return `invalid mobile phone ${JSON.stringify(raw)} (E.164)`;
      return { mobilePhone: phone, ctx };
    }
    case 'push': {
      const platform = fields['pushPlatform'];
      const token = fields['deviceToken'];
      if (typeof platform !== 'string' || !(PushPlatforms as readonly string[]).includes(platform)) {
        return `invalid pushPlatform ${JSON.stringify(platform)} (${PushPlatforms.join('|')})`;
      }
      if (typeof token !== 'string' || !DEVICE_TOKEN.test(token)) return `invalid deviceToken`;
      const extra =
        typeof fields['marketingCloudId'] === 'string' ? { marketingCloudId: fields['marketingCloudId'] } : {};
      return { pushPlatform: platform, deviceToken: token, ...extra, ctx };
    }
    default:
      return `unknown channel ${JSON.stringify(channel)} (email|sms|push)`;
  }
}

/** Handles one campaign command: validate the address, then POST the message. */
export async function executeCampaignCommand(
  exec: ActionExecutor,
  cmd: ActionCommand,
  attempts?: AttemptContext,
): Promise<ActionResult> {
  const fields = cmd.connector ?? {};
  const cfg = exec.config(cmd);
  const channel = fields['channel'] ?? (cfg?.type === 'campaign' ? cfg.channel : undefined);
  const payload = campaignPayload(channel, fields);
  if (typeof payload === 'string') {
    return exec.reject(cmd, 'error', ConnectorCodes.campaignAddressInvalid, payload);
  }
  return exec.execute(
    cmd,
    {
      url: cmd.request.url,
      method: cmd.request.method || 'POST',
      headers: { ...cmd.request.headers, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    },
    attempts,
  );
}

export interface CampaignConnectorOptions
  extends Omit<CommandConsumerOptions, 'connector' | 'handle'>, ActionExecutorOptions {
  /** Connector type / command topic suffix; default `campaign`. */
  readonly connector?: string;
}

/** Builds (does not start) the Campaign connector service. */
export function createCampaignConnector(opts: CampaignConnectorOptions): CommandConsumer {
  const exec = new ActionExecutor(opts);
  return new CommandConsumer({
    ...opts,
    connector: opts.connector ?? 'campaign',
    handle: (cmd, attempts) => executeCampaignCommand(exec, cmd, attempts),
    throttleOf: (id) => opts.actionConfig?.(id)?.throttle,
    onStop: () => exec.close(),
  });
}
