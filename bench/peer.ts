/**
 * The Kafka Streams peer (bench/peer/, Java 17, Kafka Streams 4.1): built with Maven on first use (offline first,
 * so a local repository that has the jars is enough), started as `java -cp … jo.bench.StreamsPeer` with its
 * settings in the environment, stopped with SIGTERM (Kafka Streams closes and commits).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PEER_DIR = fileURLToPath(new URL('./peer/', import.meta.url));
const CLASSPATH_FILE = join(PEER_DIR, 'target', 'classpath.txt');
/** Written after a successful build (Maven leaves up-to-date classes untouched, so their times say nothing). */
const STAMP = join(PEER_DIR, 'target', 'built');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles the peer unless its classes are newer than its sources; returns the java classpath. */
export function buildPeer(log: (m: string) => void): string {
  const built = existsSync(STAMP) && existsSync(CLASSPATH_FILE) ? statSync(STAMP).mtimeMs : 0;
  const sources = Math.max(newestSource(join(PEER_DIR, 'src')), statSync(join(PEER_DIR, 'pom.xml')).mtimeMs);
  if (built < sources) {
    const goals = ['-B', '-q', 'compile', 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`];
    log('building the Kafka Streams peer with Maven (first use)');
    try {
      execFileSync('mvn', ['-o', ...goals], { cwd: PEER_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch {
      log('offline build failed (jars not in the local repository yet): building online');
      execFileSync('mvn', goals, { cwd: PEER_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    }
    writeFileSync(STAMP, new Date().toISOString());
  }
  return `${join(PEER_DIR, 'target', 'classes')}:${readFileSync(CLASSPATH_FILE, 'utf8').trim()}`;
}

export interface PeerOptions {
  readonly brokers: string[];
  readonly applicationId: string;
  readonly input: string;
  readonly commands: string;
  readonly steps: string;
  readonly stateDir: string;
  /** Step records written per event (records per event = 3 + this: repartition, changelog, command). */
  readonly stepRecords: number;
  readonly threads?: number;
  readonly commitMs?: number;
  /** Max heap; the JVM's default (1/4 of RAM) would make RSS comparisons meaningless. */
  readonly heap?: string;
}

export interface Peer {
  readonly child: ChildProcess;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts the peer and resolves once Kafka Streams reports RUNNING. */
export async function startPeer(classpath: string, o: PeerOptions): Promise<Peer> {
  const child = spawn(
    'java',
    [
      `-Xmx${o.heap ?? '512m'}`,
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath,
      'jo.bench.StreamsPeer',
    ],
    {
      env: {
        ...process.env,
        PEER_BROKERS: o.brokers.join(','),
        PEER_APP_ID: o.applicationId,
        PEER_INPUT: o.input,
        PEER_COMMANDS: o.commands,
        PEER_STEPS: o.steps,
        PEER_STATE_DIR: o.stateDir,
        PEER_STEP_RECORDS: String(o.stepRecords),
        PEER_THREADS: String(o.threads ?? 1),
        PEER_COMMIT_MS: String(o.commitMs ?? 100),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const tick = setInterval(() => {
      if (out.includes('PEER RUNNING')) {
        clearInterval(tick);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(tick);
        reject(new Error(`peer exited: ${out.slice(-3000)}`));
      }
    }, 50);
  });
  return {
    child,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
