/**
 * `npm run bench -- restart`: how long `jo start` takes from a SIGKILL to ready again (`/readyz` 200: every
 * component started and the pipeline's tasks running) with its local state intact, and where the time goes:
 * process start to `topics ready`, then each component's `started` log line. One cold start, then
 * BENCH_RESTARTS (default 3) kill-and-restart rounds, each right after the previous start became ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { BenchContext, BenchRow } from './types.js';

const jo = fileURLToPath(new URL('../ops/bin/jo.js', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  /** ms after spawn of each log message seen first (`topics ready`, `started:<component>`, `ready`). */
  readonly marks: Map<string, number>;
}

function start(env: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [jo, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const marks = new Map<string, number>();
  let out = '';
  let base = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        const rec = JSON.parse(line) as { msg?: string; component?: string };
        const key = rec.msg === 'started' ? `started:${rec.component}` : (rec.msg ?? '');
        if (!marks.has(key)) marks.set(key, Date.now() - t0);
      } catch {
        const m = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(line);
        if (m?.[1]) base = m[1];
      }
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"|API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(line);
      if (m) base = m[1] ?? m[2] ?? base;
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`jo start exited ${child.exitCode}: ${out.slice(-2000)}`));
        return;
      }
      if (!base) return;
      void fetch(`${base}/readyz`)
        .then((r) => {
          if (r.status !== 200 || marks.has('ready')) return;
          marks.set('ready', Date.now() - t0);
          clearInterval(poll);
          resolve({ child, marks });
        })
        .catch(() => undefined);
    }, 50);
  });
}

function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  return new Promise((r) => child.once('exit', () => r()));
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const id = randomUUID().slice(0, 8);
  const env = {
    ...process.env,
    KAFKA_BROKERS: ctx.brokers.join(','),
    JO_TOPIC_PREFIX: `bench-restart-${id}.`,
    JO_APPLICATION_ID: `bench-restart-${id}`,
    JO_PARTITIONS: '6',
    JO_STATE_DIR: mkdtempSync(join(tmpdir(), 'jo-restart-')),
    JO_API_PORT: '0',
    JO_API_TOKENS: 'bench-restart-token-0123456789:admin',
    JO_LOG_FORMAT: 'json',
  };
  const rounds = Number(process.env['BENCH_RESTARTS'] ?? 3);
  const rows: BenchRow[] = [];
  const report = (label: string, r: Run) => {
    const phases = ['engine starting', 'topics ready', 'config view ready', 'ready'];
    const marks = [...r.marks].filter(([k]) => phases.includes(k) || k.startsWith('started:'));
    ctx.log(`${label}: ${marks.map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
    for (const [k, v] of marks) rows.push({ metric: `${label} ${k}`, value: v, unit: 'ms after spawn' });
  };
  let current = await start(env);
  report('cold start', current);
  try {
    for (let i = 1; i <= rounds; i++) {
      await kill(current.child);
      current = await start(env);
      report(`restart ${i}`, current);
    }
  } finally {
    await kill(current.child);
  }
  const ready = rows.filter((r) => r.metric.startsWith('restart') && r.metric.endsWith(' ready')).map((r) => r.value);
  rows.push({
    metric: 'restart to ready, worst',
    value: Math.max(...ready),
    unit: 'ms',
    target: '≤ 5000',
  });
  return rows;
}
