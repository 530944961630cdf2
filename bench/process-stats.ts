/**
 * What the benchmark reads about a child process from /proc: CPU time (utime + stime of /proc/<pid>/stat, the
 * process and all its threads) and peak resident set size (VmHWM of /proc/<pid>/status). Linux only.
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

/** CPU seconds the process has used so far (user + system); NaN once it has exited. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return NaN;
  }
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

/** Peak RSS in MB so far; NaN once the process has exited. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
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
