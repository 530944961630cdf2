// A newcomer's first hour, driven the way a person does it: `npm start` in a process group of its own (as a
// terminal runs it), with no broker configured, so it starts a local one (on this test's private ports and infra
// dir, never the shared broker). Its printed `try:` hint works as printed in a clean shell; Ctrl-C (SIGINT to the
// group) stops the engine, the sample endpoint and the broker within the shutdown timeout and exits, leaving
// nothing listening and no process behind; SIGTERM to `npm` alone does the same; a taken port fails at once,
// naming the variable that moves it, with nothing started; kafkajs' start-up noise stays below warn.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeTcp } from './local-infra.js';
import { privateInfraDir } from '../topology/testing/index.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const BASE = Number(process.env['JO_TEST_START_PORT_BASE'] ?? 19296);
const PORTS = { kafka: BASE, controller: BASE + 1, api: BASE + 2, sample: BASE + 3 };
const SHUTDOWN_TIMEOUT_MS = 30_000;
const infra = privateInfraDir();
const started: ChildProcess[] = [];

afterAll(() => {
  for (const c of started) if (c.pid && c.exitCode === null) killGroup(c.pid, 'SIGKILL');
  spawnSync('bash', [join(repoRoot, 'ops/infra/kafka.sh'), 'stop'], { env: childEnv(), stdio: 'ignore' });
  rmSync(infra, { recursive: true, force: true });
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A shell with none of the test run's broker settings: what a newcomer's terminal has. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'JO_TOPIC_PREFIX', 'JO_API_TOKENS', 'JO_LOG_FORMAT'])
    delete env[k];
  return {
    ...env,
    JO_INFRA_DIR: infra,
    KAFKA_PORT: String(PORTS.kafka),
    KAFKA_CONTROLLER_PORT: String(PORTS.controller),
    KAFKA_DATA_DIR: join(infra, 'data'),
    KAFKA_HEAP: '512m',
    // a loaded 2-core machine can take minutes to start a JVM broker
    KAFKA_START_TIMEOUT: '300',
    JO_API_PORT: String(PORTS.api),
    JO_SAMPLE_PORT: String(PORTS.sample),
    JO_STATE_DIR: join(infra, 'state'),
    JO_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    ...extra,
  };
}

interface Run {
  readonly child: ChildProcess;
  readonly pid: number;
  out: string;
  readonly exited: Promise<{ code: number | null; at: number }>;
}

/** `npm start` as a terminal runs it: the leader of a new process group. */
function npmStart(extra: Record<string, string> = {}): Run {
  const child = spawn('npm', ['start'], { cwd: repoRoot, env: childEnv(extra), detached: true });
  started.push(child);
  const run: Run = {
    child,
    pid: child.pid ?? 0,
    out: '',
    exited: new Promise((ok) => child.once('exit', (code) => ok({ code, at: Date.now() }))),
  };
  child.stdout?.on('data', (b: Buffer) => (run.out += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (run.out += b.toString('utf8')));
  return run;
}

async function waitFor(run: Run, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = run.out.match(re);
    if (m) return m;
    if (run.child.exitCode !== null || Date.now() > until)
      throw new Error(`no ${String(re)} (exit ${String(run.child.exitCode)}); output:\n${run.out.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const listening = (port: number) =>
  probeTcp(`127.0.0.1:${port}`, 1_000).then(
    () => true,
    () => false,
  );

/** Live processes whose command line mentions this test's infra dir (the broker) or the group's pid. */
function leftovers(pgid: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (cmd.includes(infra) || group === pgid) found.push(`${pid} ${cmd.slice(0, 200)}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

async function expectNothingLeft(pgid: number, squatted?: number): Promise<void> {
  // tsx's esbuild service notices that its parent is gone on its own, a moment later
  for (let i = 0; i < 50 && leftovers(pgid).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  for (const port of Object.values(PORTS).filter((p) => p !== squatted))
    expect(await listening(port), `port ${port} still listening`).toBe(false);
  expect(leftovers(pgid)).toEqual([]);
  expect(existsSync(join(infra, 'kafka', 'kafka.pid')), 'broker PID file left').toBe(false);
}

/** kafkajs lines at warn or above (pino levels 40+) in the JSON log. */
function kafkajsWarnings(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.includes('"src":"kafkajs"'))
    .filter((l) => {
      try {
        return (JSON.parse(l) as { level: number }).level >= 40;
      } catch {
        return false;
      }
    });
}

describe('npm start, as a newcomer runs it', () => {
  it('a taken port fails at once, names the variable that moves it, and starts nothing', async () => {
    for (const [port, variable] of [
      [PORTS.sample, 'JO_SAMPLE_PORT'],
      [PORTS.kafka, 'KAFKA_PORT'],
    ] as const) {
      const squatter: Server = createServer();
      await new Promise<void>((ok) => squatter.listen(port, '127.0.0.1', ok));
      try {
        const run = npmStart();
        const { code } = await run.exited;
        expect(code).toBe(2);
        expect(run.out).toMatch(new RegExp(`PORT_IN_USE: port ${port} .*set ${variable}`));
        expect(existsSync(join(infra, 'kafka', 'kafka.pid')), 'a broker was started').toBe(false);
        await expectNothingLeft(run.pid, port);
      } finally {
        await new Promise((ok) => squatter.close(ok));
      }
    }
  }, 120_000);

  it('Ctrl-C stops everything it started within the shutdown timeout; the printed hint works', async () => {
    const run = npmStart();
    try {
      await ctrlCRun(run);
    } finally {
      await stopIfRunning(run); // a failed check must not leave the ports taken for the next test
    }
  }, 600_000);

  async function ctrlCRun(run: ReturnType<typeof npmStart>): Promise<void> {
    const hint = (await waitFor(run, /try: (.+produce-sample.+)\n/, 330_000))[1] ?? '';
    await waitFor(run, /stop with Ctrl-C/, 30_000);
    expect((await fetch(`http://127.0.0.1:${PORTS.api}/healthz`)).status).toBe(200);

    // the hint, as printed, in a shell that has none of npm start's settings
    const produced = spawnSync('sh', ['-c', hint], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(produced.status, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/produced 15 events/);
    // the sample journey's welcome action reaches the sample endpoint with the person's address
    await waitFor(run, /sample endpoint received an action call/, 120_000);
    expect(run.out).toMatch(/\\"to\\": ?\\"user-[0-9a-f]{8}@example\.com\\"/);

    const sent = Date.now();
    killGroup(run.pid, 'SIGINT'); // what a terminal's Ctrl-C does
    const { code, at } = await run.exited;
    expect(code, run.out.slice(-3000)).toBe(0);
    expect(at - sent).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    expect(run.out).toMatch(/engine stopped cleanly/);
    await expectNothingLeft(run.pid);
    // start-up noise of a fresh broker stays below warn (checked last, so a finding still leaves nothing running)
    expect(kafkajsWarnings(run.out)).toEqual([]);
  }

  async function stopIfRunning(run: ReturnType<typeof npmStart>): Promise<void> {
    if (run.child.exitCode !== null || run.child.signalCode !== null) return;
    killGroup(run.pid, 'SIGINT');
    const timer = setTimeout(() => killGroup(run.pid, 'SIGKILL'), SHUTDOWN_TIMEOUT_MS);
    await run.exited;
    clearTimeout(timer);
  }

  it('SIGTERM to npm alone does not orphan the engine; it stops what it started', async () => {
    const run = npmStart();
    await waitFor(run, /stop with Ctrl-C/, 330_000);
    const sent = Date.now();
    process.kill(run.pid, 'SIGTERM'); // npm only, not the group
    const { at } = await run.exited;
    // npm exits once its child has: the engine must be gone with it, not left running with ppid 1
    expect(at - sent).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    await expectNothingLeft(run.pid);
  }, 600_000);
});
