/** Validation of records read from `jo.commands.<connector>`: what is not a command goes to the DLQ. */
import { Value } from '@sinclair/typebox/value';
import { ActionCommand } from '../schemas/index.js';

/** Parses a command or returns why it cannot be one. */
export function parseCommand(value: Buffer | null): ActionCommand | string {
  if (value === null) return 'empty value';
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (!Value.Check(ActionCommand, json)) {
    const first = Value.Errors(ActionCommand, json).First();
    return `not a command: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}`;
  }
  if (Number.isNaN(Date.parse(json.deadline))) return `not a command: /deadline is not a date`;
  if (!METHODS.has(json.request.method.toUpperCase())) return `not a command: /request/method ${json.request.method}`;
  if (!/^https?:$/.test(safeUrl(json.request.url)?.protocol ?? '')) {
    return `not a command: /request/url is not an http(s) URL`;
  }
  return json;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function safeUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}
