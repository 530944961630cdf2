/**
 * What the benchmark reads about a child process from /proc: CPU time (utime + stime of /proc/<pid>/stat, the
 * process and all its threads) and peak resident set size — each for the process and its child processes (the
 * engine's pipeline workers, ops/pipeline-workers.ts), so an engine of n processes is measured whole. Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces); undefined once it has exited. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process's running child processes. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds the process and its child processes have used so far (user + system): its own, its exited children's
 * (cutime + cstime, once it has reaped them) and its running children's. NaN once it has exited.
 */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return NaN;
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const child of childPids(pid)) {
    const c = statFields(child);
    if (c) ticks += Number(c[11]) + Number(c[12]);
  }
  return ticks / clockTicks();
}

/**
 * Waits until `pid` is quiet — under `maxShare` of a core over a 500 ms window — or `maxMs` have passed; returns
 * the ms waited. A latency phase starts from a system that has finished the previous phase's work (RocksDB
 * compactions, GC, the JVM's background work), so it measures the steady state at the offered rate.
 */
export async function settle(pid: number, maxShare = 0.1, maxMs = 15_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const c0 = cpuSeconds(pid);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    const share = (cpuSeconds(pid) - c0) / ((performance.now() - w0) / 1000);
    const waited = performance.now() - t0;
    if (!(share >= maxShare) || waited >= maxMs) return Math.round(waited);
  }
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Peak RSS in MB so far; NaN once the process has exited. With child processes: the process's own peak plus its
 * children's RSS now (the sampler below takes the highest of these sums).
 */
export function peakRssMb(pid: number): number {
  const own = statusKb(pid, 'VmHWM');
  if (Number.isNaN(own)) return NaN;
  let kb = own;
  for (const child of childPids(pid)) {
    const c = statusKb(child, 'VmRSS');
    if (!Number.isNaN(c)) kb += c;
  }
  return kb / 1024;
}

/** Samples a process's peak RSS every 500 ms, so the last value survives its exit. */
export function rssSampler(pid: number): { peakMb: () => number; stop: () => void } {
  let peak = 0;
  const read = () => {
    const v = peakRssMb(pid);
    if (!Number.isNaN(v)) peak = Math.max(peak, v);
  };
  const timer = setInterval(read, 500);
  return {
    peakMb: () => {
      read();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}
