/**
 * `jo replay --journey ID [--version N] --from ISO --to ISO [--compare] [--responses FILE] [--workers N] [--json]`:
 * what a journey version would have done with a past range of `jo.events` (see replay.ts); `--workers`: threads the
 * simulation is split over by profile (default: one per core, at most 4; `JO_REPLAY_WORKERS`). A progress bar goes
 * to stderr; stdout gets per-node counts (side by side with the live engine's with `--compare`), commands per action
 * and the peak commands per second per endpoint. Exit codes: 0 done, 2 usage or configuration problems.
 */
import { readFileSync } from 'node:fs';
import { createKafka, type KafkaClient } from '../../topology/index.js';
import { topicNames } from '../../schemas/index.js';
import { table } from './format-report.js';
import { runReplay, type ReplayOptions, type ReplayResult } from './replay.js';

export interface ReplayCommandOutcome {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

const USAGE =
  'usage: jo replay --journey ID [--version N] --from ISO --to ISO [--compare] [--responses FILE] [--workers N] [--json]';

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A progress bar on `write` (stderr), redrawn at most every 1%. */
export function progressBar(write: (s: string) => void): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
    if (pct === shown) return;
    shown = pct;
    const filled = Math.round(pct / 5);
    write(`\rreplay [${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${pct}% ${done}/${total} events`);
    if (pct === 100) write('\n');
  };
}

/** Per-node rows: replay counts, and with a live run, live counts and the difference. */
function nodeRows(r: ReplayResult): string[] {
  const live = r.live?.nodes ?? {};
  const ids = [...new Set([...Object.keys(r.nodes), ...Object.keys(live)])];
  const rows = ids.flatMap((id) => {
    const statuses = [...new Set([...Object.keys(r.nodes[id] ?? {}), ...Object.keys(live[id] ?? {})])];
    return statuses.map((s) => {
      const a = r.nodes[id]?.[s] ?? 0;
      if (!r.live) return [id, s, a];
      const b = live[id]?.[s] ?? 0;
      return [id, s, a, b, a === b ? '=' : `${a - b > 0 ? '+' : ''}${a - b}`];
    });
  });
  const header = r.live
    ? ['node', 'status', `v${r.journey.version} replay`, `live (v${r.live.versions.join(',v') || '-'})`, 'diff']
    : ['node', 'status', `v${r.journey.version} replay`];
  return table(header, rows);
}

/** The result as text. */
export function replayText(r: ReplayResult): string[] {
  const peaks = Object.entries(r.peaks).map(([e, p]) => [e, p.perSecond, p.at]);
  return [
    `journey ${r.journey.id} v${r.journey.version} (${r.journey.state}) over ${r.from} → ${r.to}: ${r.events} events, ` +
      `${r.profiles} profiles; ${r.eventsPerSecond} events/s on ${r.workers} thread(s) (nothing sent, nothing written)`,
    '',
    ...nodeRows(r),
    '',
    ...table(
      ['action', 'commands'],
      Object.entries(r.commands).map(([a, n]) => [a, n]),
    ),
    '',
    ...(peaks.length > 0 ? table(['endpoint', 'peak commands/s', 'at'], peaks) : ['no commands']),
    '',
    `discards: ${
      Object.entries(r.discards)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ') || 'none'
    }`,
  ];
}

function parse(args: readonly string[]): Omit<ReplayOptions, 'kafka' | 'topics'> | string {
  const journeyId = flag(args, '--journey');
  const from = Date.parse(flag(args, '--from') ?? '');
  const to = Date.parse(flag(args, '--to') ?? '');
  const v = flag(args, '--version');
  if (!journeyId || Number.isNaN(from) || Number.isNaN(to)) return USAGE;
  if (to <= from) return '--to must be after --from';
  if (v !== undefined && !/^[1-9]\d*$/.test(v)) return '--version must be a positive integer';
  const workers = flag(args, '--workers');
  if (workers !== undefined && !/^[1-9]\d*$/.test(workers)) return '--workers must be a positive integer';
  const file = flag(args, '--responses');
  const responses = file ? (JSON.parse(readFileSync(file, 'utf8')) as ReplayOptions['responses']) : undefined;
  return {
    journeyId,
    fromMs: from,
    toMs: to,
    compare: args.includes('--compare'),
    ...(v !== undefined ? { version: Number(v) } : {}),
    ...(workers !== undefined ? { workers: Number(workers) } : {}),
    ...(responses ? { responses } : {}),
  };
}

/** Runs `jo replay` against `brokers` (topics under `topicPrefix`). */
export async function replayCommand(
  args: readonly string[],
  env: { readonly brokers: readonly string[]; readonly topicPrefix: string; readonly stderr: (s: string) => void },
  kafka: KafkaClient = createKafka({ brokers: env.brokers, clientId: 'jo-replay', logLevel: 'nothing' }),
): Promise<ReplayCommandOutcome> {
  let opts: ReturnType<typeof parse>;
  try {
    opts = parse(args);
  } catch (err) {
    return { code: 2, out: [], err: [err instanceof Error ? err.message : String(err)] };
  }
  if (typeof opts === 'string') return { code: 2, out: [], err: [opts] };
  try {
    const r = await runReplay({
      ...opts,
      kafka,
      topics: topicNames(env.topicPrefix),
      progress: progressBar(env.stderr),
    });
    return { code: 0, out: args.includes('--json') ? [JSON.stringify(r, null, 2)] : replayText(r), err: [] };
  } catch (err) {
    if (err instanceof Error && /^journey "|does not compile/.test(err.message))
      return { code: 2, out: [], err: [err.message] };
    throw err;
  }
}
