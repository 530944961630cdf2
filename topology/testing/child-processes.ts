/**
 * Test programs in child processes (an app, an engine, a connector that a test SIGKILLs and restarts): started
 * under tsx, ready when their stdout says so, killed together when the suite ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface StartOptions {
  /** Environment added to the test's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Text on stdout that means the child is ready (default `started`). */
  readonly ready?: string;
  /** Called with each chunk of the child's stdout (progress lines). */
  readonly onStdout?: (text: string) => void;
}

/** The child processes of one test file. */
export class TestChildren {
  readonly all: ChildProcess[] = [];

  /**
   * Runs the TypeScript program `file` (a path or a `file:` URL) under tsx; resolves with the child once its stdout
   * has said `ready`, rejects with the end of its stderr if it exits before.
   */
  start(file: string | URL, opts: StartOptions = {}): Promise<ChildProcess> {
    const path = typeof file === 'string' ? file : fileURLToPath(file);
    const child = spawn(process.execPath, ['--import', 'tsx', path], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.all.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
    const ready = opts.ready ?? 'started';
    return new Promise((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        const text = d.toString();
        opts.onStdout?.(text);
        if (text.includes(ready)) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`${path} exited (${code}) before it was ready:\n${err}`)));
    });
  }

  /** SIGKILLs every child still running. */
  killAll(): void {
    for (const c of this.all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/** Resolves with the exit code (null when killed by a signal) once `child` has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
