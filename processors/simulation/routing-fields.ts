/**
 * `RoutingFields`: reads from a JSON event's bytes only the fields that decide whose event it is — the recognition
 * paths (`eventType`, the system `eventID`) and the identity paths (and `identityMap.<namespace>`) of the event
 * configurations — and returns them as an object holding just those paths. The normalizer's own recognition and
 * identity code then runs on that object (`profileKeyOfPayload`) and gives the profile key a full parse would give.
 *
 * Why: `jo replay` routes every event to its profile's shard on the thread that reads the broker, and the shard
 * parses the event again in the engine's normalizer; a full `JSON.parse` of a ~1 KB event on the reading thread was
 * ~40% of that thread's CPU. Here only the few values on those paths are parsed (with `JSON.parse`, so they are
 * exactly the values a full parse gives); the rest is skipped byte by byte.
 *
 * Exactness: for a valid JSON document the object read has, on every configured path, the value `JSON.parse` of the
 * whole document has there. Whenever that could be in doubt — the document does not start with an object, a key on
 * a configured path is escaped or repeated (the last one would win), a value does not parse — `read` gives up
 * (`undefined`) and the caller normalizes the event in full. An invalid document may be read anyway: the engine
 * dead-letters it whichever shard it goes to, and a dead letter touches no state.
 */
import type { EventConfig } from '../../schemas/index.js';

/** One configured key of an object on a path: take its whole value, or read on into the object it holds. */
interface Field {
  readonly name: string;
  /** The key's UTF-8 bytes read as Latin-1: how it appears in the event read as Latin-1. */
  readonly raw: string;
  whole: boolean;
  readonly next: Level;
}
type Level = Field[];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Keys a path may not use (readPath refuses them; a plain object would treat them specially). */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);
const GAVE_UP = Symbol('gave up');
type Json = Record<string, unknown>;

/** A path's keys as `readPath` walks them (`a[0].b` → a, 0, b). */
function keysOf(path: string): string[] {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((p) => p !== '');
}

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class RoutingFields {
  private readonly root: Level = [];

  private constructor() {}

  /**
   * The fields of `events` (no configuration may map or use a rule: those read any part of the payload), or
   * undefined when they cannot be read this way.
   */
  static of(events: readonly EventConfig[]): RoutingFields | undefined {
    const f = new RoutingFields();
    for (const c of events) {
      if (c.mapping !== undefined || 'rule' in c.recognition || !('path' in c.identity)) return undefined;
      const r = c.recognition;
      const paths = [
        'eventType' in r ? ['eventType'] : ['_experience', 'campaign', 'orchestration', 'eventID'],
        keysOf(c.identity.path),
        ['identityMap', c.identity.namespace],
      ];
      for (const p of paths) if (!f.add(p)) return undefined;
    }
    return f;
  }

  private add(keys: readonly string[]): boolean {
    if (keys.length === 0 || keys.some((k) => UNSAFE.has(k) || k.includes('\ufffd'))) return false;
    let level = this.root;
    keys.forEach((name, i) => {
      let field = level.find((x) => x.name === name);
      if (!field) level.push((field = { name, raw: latin1(Buffer.from(name, 'utf8')), whole: false, next: [] }));
      if (i === keys.length - 1) field.whole = true;
      level = field.next;
    });
    // a level's keys seen so far are a bit mask
    return this.widest(this.root) <= 30;
  }

  private widest(level: Level): number {
    return Math.max(level.length, ...level.map((f) => this.widest(f.next)));
  }

  /** The configured fields of a JSON event, or undefined when it must be normalized in full (see the module doc). */
  read(buf: Buffer): Json | undefined {
    // Scanned as a Latin-1 string (one character per byte: indexes are byte offsets) with the string's indexOf and
    // charCodeAt, which run much faster than a loop over the buffer's bytes; values are decoded as UTF-8.
    const text = latin1(buf);
    const at = skipSpace(text, 0);
    if (text.charCodeAt(at) !== OPEN_OBJECT) return undefined;
    const out = readObject({ buf, text }, at, this.root);
    return out === GAVE_UP ? undefined : out.value;
  }
}

const latin1 = (b: Buffer) => b.toString('latin1');

interface Source {
  readonly buf: Buffer;
  readonly text: string;
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** End (after the closing quote) of the string whose opening quote is at `i`; -1 when unterminated. */
function stringEnd(text: string, i: number): number {
  for (let q = text.indexOf('"', i + 1); q >= 0; q = text.indexOf('"', q + 1)) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
  }
  return -1;
}

/** End of the value starting at `i` (valid JSON assumed; -1 when the text ends first). */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isSpace(d)) return i;
      i++;
    }
    return i;
  }
  let depth = 0;
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
    else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** The configured field whose key is `text[from, to)` (unescaped). */
function fieldAt(level: Level, text: string, from: number, to: number): number {
  for (let f = 0; f < level.length; f++) {
    const raw = (level[f] as Field).raw;
    if (raw.length === to - from && text.startsWith(raw, from)) return f;
  }
  return -1;
}

function escaped(text: string, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (text.charCodeAt(j) === BACKSLASH) return true;
  return false;
}

/** Reads the object starting at `i` (`{`): its configured fields, and where it ends. */
function readObject(src: Source, i: number, level: Level): { value: Json; end: number } | typeof GAVE_UP {
  const { buf, text } = src;
  const value: Json = {};
  let seen = 0;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) return { value, end: i + 1 };
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return GAVE_UP;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return GAVE_UP;
    const f = fieldAt(level, text, i + 1, keyEnd - 1);
    if (f < 0 && escaped(text, i + 1, keyEnd - 1)) return GAVE_UP; // it might spell a configured key
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return GAVE_UP;
    i = skipSpace(text, i + 1);
    if (f < 0) i = valueEnd(text, i);
    else {
      const field = level[f] as Field;
      if (seen & (1 << f)) return GAVE_UP; // a repeated key: JSON.parse keeps the last one
      seen |= 1 << f;
      if (field.whole || text.charCodeAt(i) !== OPEN_OBJECT) {
        const end = valueEnd(text, i);
        if (end < 0) return GAVE_UP;
        try {
          value[field.name] = JSON.parse(buf.toString('utf8', i, end)) as unknown;
        } catch {
          return GAVE_UP;
        }
        i = end;
      } else {
        const inner = readObject(src, i, field.next);
        if (inner === GAVE_UP) return GAVE_UP;
        value[field.name] = inner.value;
        i = inner.end;
      }
    }
    if (i < 0) return GAVE_UP;
    i = skipSpace(text, i);
    if (text.charCodeAt(i) === CLOSE_OBJECT) return { value, end: i + 1 };
    if (text.charCodeAt(i) !== COMMA) return GAVE_UP;
    i = skipSpace(text, i + 1);
  }
}
