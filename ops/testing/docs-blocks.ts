/**
 * The docs' shell examples as tests see them: the fenced blocks of a markdown page, the ```sh blocks that follow a
 * `<!-- run: NAME -->` marker (what ops/docs-examples*.test.ts run), what a block's comments show as its output,
 * and bash runs of a block, once (curl wrapped to log each answer's status) or as long-running processes stopped
 * with SIGTERM the way a terminal stops them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: docs blocks run from here (`node ops/bin/jo.js …`). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Folders no docs page or source file of ours lives in. */
export const SKIP_DIRS = new Set(['node_modules', '.git', '.infra', 'dist', 'coverage', 'results']);

/** README.md, docs/*.md and every folder's README.md, relative to the repository root. */
export function docsFiles(dir = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory() && !SKIP_DIRS.has(e.name)) out.push(...docsFiles(path));
    const rel = relative(REPO_ROOT, path);
    if (e.isFile() && (e.name === 'README.md' || /^docs\/[^/]+\.md$/.test(rel))) out.push(rel);
  }
  return out.sort();
}

/** One fenced block of a markdown page: its first line (1-based), language tag, text and the marker above it. */
export interface FencedBlock {
  readonly line: number;
  readonly lang: string;
  readonly body: string;
  /** NAME of a `<!-- run: NAME -->` on the last non-blank line above the fence. */
  readonly marker?: string;
}

/** Every fenced block (``` or ~~~, indented or not) of a markdown page, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? '');
    if (!open?.[1]) continue;
    const fence = open[1];
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').trim().startsWith(fence)) end++;
    let above = i - 1;
    while (above >= 0 && (lines[above] ?? '').trim() === '') above--;
    const marker = /^<!-- run: ([\w-]+) -->$/.exec((lines[above] ?? '').trim())?.[1];
    const body = lines.slice(i + 1, end).join('\n');
    blocks.push({ line: i + 1, lang: open[2] ?? '', body, ...(marker ? { marker } : {}) });
    i = end;
  }
  return blocks;
}

/** The ```sh blocks of a markdown file that follow `<!-- run: NAME -->`, in order. */
export function runnableBlocks(markdown: string, name: string): string[] {
  return fencedBlocks(markdown)
    .filter((b) => b.marker === name && b.lang === 'sh')
    .map((b) => b.body);
}

/** Every block after `<!-- run: NAME -->` in docs/FILE (or FILE from the root when it has a `/`); throws if none. */
export function docsBlocks(file: string, name: string): string[] {
  const path = file.includes('/') ? file : `docs/${file}`;
  const blocks = runnableBlocks(readFileSync(`${REPO_ROOT}/${path}`, 'utf8'), name);
  if (blocks.length === 0) throw new Error(`${path} has no <!-- run: ${name} --> block`);
  return blocks;
}

/** The one block after `<!-- run: NAME -->` in docs/FILE. */
export function docsBlock(file: string, name: string): string {
  return docsBlocks(file, name)[0] ?? '';
}

/** Whitespace runs folded to one space, so column alignment in the docs does not matter. */
export const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * What a CLI block's comments show: every `# line` except elisions (`...`), without a trailing `(stderr, exit N)`
 * note; `exit` is that note's N (0 when there is none).
 */
export function shownOutput(block: string): { lines: string[]; exit: number } {
  const comments = block.split('\n').flatMap((l) => (l.trimStart().startsWith('#') ? [l.trimStart().slice(1)] : []));
  const note = /\s*\((?:stderr, )?exit (\d+)\)\s*$/;
  const exit = comments.map((c) => note.exec(c)?.[1]).find((n) => n !== undefined);
  const lines = comments.filter((c) => !c.includes('...')).map((c) => squash(c.replace(note, '')));
  return { lines: lines.filter((l) => l !== ''), exit: Number(exit ?? 0) };
}

/**
 * The output lines a block shows: comment lines whose text starts like an answer (`{`, `[`, a digit, `HTTP/`,
 * `jo `, `jo_`), as opposed to prose comments, which start with a word. Whitespace folded.
 */
export function answerLines(block: string): string[] {
  return block
    .split('\n')
    .map((l) => /^\s*#\s?(.*)$/.exec(l)?.[1] ?? '')
    .filter((c) => /^(?:[{["\d]|HTTP\/|https?:\/\/|jo[ _])/.test(c))
    .map(squash);
}

/** Codes the block's comments promise, e.g. `# 409 RESOURCE_IN_USE` or `{"code":"REF_UNKNOWN_EVENT"}`. */
export function promisedCodes(block: string): string[] {
  const comments = block.split('\n').flatMap((l) => (l.includes('#') ? [l.slice(l.indexOf('#'))] : []));
  return [...new Set(comments.flatMap((c) => c.match(/\b[A-Z]{2,}(?:_[A-Z]+)+\b/g) ?? []))];
}

/** `block` with each key of `pairs` replaced by its value; throws when a key is not in the block (the docs moved). */
export function substitute(block: string, pairs: Readonly<Record<string, string>>): string {
  let out = block;
  for (const [from, to] of Object.entries(pairs)) {
    if (!out.includes(from)) throw new Error(`the docs block no longer contains ${JSON.stringify(from)}:\n${block}`);
    out = out.replaceAll(from, to);
  }
  return out;
}

export interface BlockRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Each curl call answered, `201 PUT http://…/v1/…`. */
  readonly calls: string[];
  /** Calls not answered 2xx, without the host (`400 PUT /v1/…`). */
  readonly refused: string[];
}

export interface BlockOptions {
  /** Environment of the shell: only PATH, HOME and these (a user's own shell, not the test runner's). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** The exit code the block must end with (default 0); anything else throws with the block's output. */
  readonly exit?: number;
  readonly timeoutMs?: number;
}

const shellEnv = (env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: process.env['HOME'] ?? '/tmp',
  NO_COLOR: '1',
  ...env,
});

/**
 * Runs a block with bash (`set -eo pipefail`) from the repository root unless `cwd` says otherwise; `curl` is
 * wrapped to write each answer's status to stderr (stdout stays what the docs show, a block's own `-w` included).
 */
export function runBlock(block: string, opts: BlockOptions = {}): Promise<BlockRun> {
  const script = [
    'set -eo pipefail',
    // the block's own -w format (if any) is kept, the status line appended to it
    `curl() { local a=() w=''; while (($#)); do if [[ $1 == -w || $1 == --write-out ]]; then w=$2; shift 2; else a+=("$1"); shift; fi; done; command curl "\${a[@]}" -w "$w%{stderr}%{http_code} %{method} %{url_effective}\\n"; }`,
    block,
  ].join('\n');
  const want = opts.exit ?? 0;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd: opts.cwd ?? REPO_ROOT, env: shellEnv(opts.env), timeout: opts.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (code !== want) {
          reject(
            new Error(
              `the docs block exited ${code}, not ${want}:\n${block}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
          return;
        }
        const calls = stderr.split('\n').filter((l) => /^\d{3} /.test(l));
        const refused = calls
          .filter((l) => !/^2\d\d /.test(l))
          .map((l) => l.replace(/ http:\/\/127\.0\.0\.1:\d+/, ' '));
        resolve({ code, stdout, stderr, calls, refused });
      },
    );
  });
}

/** A block left running: its processes (started in the foreground or with `&`) in one process group. */
export interface RunningBlock {
  readonly child: ChildProcess;
  /** Everything the block's processes printed so far. */
  output(): string;
  /**
   * SIGTERM to the block's process group, as a terminal's kill does; resolves once every process has exited, with
   * the exit code of each (`exited N` lines the wrapper prints for `&` jobs, the shell's own code last).
   */
  stop(): Promise<number[]>;
}

/** Starts a block of long-running commands with bash in a process group of its own. */
export function startBlock(block: string, opts: BlockOptions = {}): RunningBlock {
  // on SIGTERM the shell waits for its `&` jobs (they got the signal too) and reports their codes; a foreground
  // command's code is $? when the trap runs (the trap waits for it), unless the shell was already at the last `wait`
  const script = [
    `trap 'st=$?; for p in $(jobs -p); do wait "$p"; echo "exited $?" >&2; done; [ -n "$at_wait" ] || echo "exited $st" >&2; exit 0' TERM`,
    block,
    'at_wait=1',
    'wait',
  ].join('\n');
  const child = spawn('bash', ['-c', script], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: shellEnv(opts.env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
      await gone;
      return [...out.matchAll(/^exited (\d+)$/gm)].map((m) => Number(m[1]));
    },
  };
}

/** SIGKILLs what is left of a block's process group (after a failed test). */
export function killBlock(b: RunningBlock): void {
  try {
    if (b.child.pid) process.kill(-b.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A TCP port free on 127.0.0.1 right now (the docs' fixed ports may be taken on a shared machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
