/**
 * `{{path}}` templates used by action URLs/bodies/headers and data-source URLs/bodies. A path is dotted
 * (`profile.person.name.firstName`, `params.couponCode`, `event.xdm.commerce.order.id`); prototype keys are
 * refused. Missing values render as the empty string (or `null` in JSON mode).
 */
import { FORBIDDEN_KEYS } from './rules/dialect.js';

export type TemplateEncoding = 'none' | 'url' | 'json';

const TOKEN = /\{\{\s*([A-Za-z0-9_$.\-[\]]+)\s*\}\}/g;

export class TemplatePathError extends Error {
  readonly code = 'TEMPLATE_FORBIDDEN_PATH';
}

/**
 * A path's parts (`a[0].b` → `a`, `0`, `b`; empty parts dropped), remembered: paths come from configurations, and
 * splitting one (a regex replace and a split per read) showed in replay profiles (~2% of a shard and ~6% of the
 * reading thread's routing). Bounded: emptied when it holds {@link MAX_PATHS} paths.
 */
const pathParts = new Map<string, readonly string[]>();
const MAX_PATHS = 10_000;

function partsOf(path: string): readonly string[] {
  let parts = pathParts.get(path);
  if (parts === undefined) {
    parts = path
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .filter((p) => p !== '');
    if (pathParts.size >= MAX_PATHS) pathParts.clear();
    pathParts.set(path, parts);
  }
  return parts;
}

/** Reads a dotted path from `data`, own properties only. */
export function readPath(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const part of partsOf(path)) {
    if (FORBIDDEN_KEYS.has(part)) throw new TemplatePathError(`template path "${path}" uses forbidden key "${part}"`);
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Paths referenced by a template, e.g. to know which data sources a node needs. */
export function templatePaths(template: string): string[] {
  return [...template.matchAll(TOKEN)].map((m) => m[1] ?? '');
}

function stringify(value: unknown, encoding: TemplateEncoding): string {
  if (encoding === 'json') return value === undefined ? 'null' : JSON.stringify(value);
  let s: string;
  if (value === undefined || value === null) s = '';
  else if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
  else s = JSON.stringify(value) ?? '';
  return encoding === 'url' ? encodeURIComponent(s) : s;
}

/** Renders `template` against `data`. `json` encoding emits JSON literals (for JSON bodies). */
export function renderTemplate(template: string, data: unknown, encoding: TemplateEncoding = 'none'): string {
  return template.replace(TOKEN, (_m, path: string) => stringify(readPath(data, path), encoding));
}
