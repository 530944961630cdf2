/**
 * Before/after in one run: a benchmark runs the same child script on the current tree and on a baseline tree, the
 * repository at a git ref (`BENCH_BASELINE_REF`, default the commit before session 4's per-record CPU work; `none`
 * skips the baseline), extracted with `git archive` into a temporary directory kept between runs, with node_modules
 * of its own installed from the baseline's own lockfile (`npm ci --ignore-scripts`, once per ref; then the baseline's
 * own patches/, if it has any). Not this checkout's node_modules: those carry our kafkajs patch (patches/), so a
 * baseline on them would measure our patched kafkajs. The child scripts are copied into the baseline tree; they use only names that existed at the baseline too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** main right before the per-record CPU work of issues 11 (point 6), 14 (point 4) and 17 (session 4). */
const DEFAULT_BASELINE = '552c1d6';
export const BASELINE_REF = process.env['BENCH_BASELINE_REF'] ?? DEFAULT_BASELINE;

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

export interface Variant {
  readonly name: 'baseline' | 'current';
  readonly root: string;
}

/** The trees to compare: the baseline (unless `BENCH_BASELINE_REF=none`), then the current tree. */
export function variants(childFiles: readonly string[]): Variant[] {
  const out: Variant[] = [];
  if (BASELINE_REF !== 'none') out.push(baselineTree(BASELINE_REF, childFiles));
  out.push({ name: 'current', root });
  return out;
}

/** The tree at `ref` in a directory of its own, with its own node_modules and the bench's child files. */
function baselineTree(ref: string, childFiles: readonly string[]): Variant {
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], { cwd: root })
    .toString()
    .trim();
  const dir = join(tmpdir(), `jo-bench-baseline-${sha}`);
  if (!existsSync(join(dir, 'topology', 'index.ts'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${sha} | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
  }
  installOwnModules(dir, sha);
  mkdirSync(join(dir, 'bench'), { recursive: true });
  for (const f of childFiles) copyFileSync(join(here, f), join(dir, 'bench', f));
  return { name: 'baseline', root: dir };
}

/**
 * Installs the baseline's dependencies from its own package-lock.json, unless an earlier run did (marker file).
 * `--ignore-scripts`: the baseline is only run, never built, and no install script of ours (patch-package) may touch
 * it. A node_modules symlink left by an older bench is unlinked first — `npm ci` would otherwise empty its target.
 */
function installOwnModules(dir: string, sha: string): void {
  const modules = join(dir, 'node_modules');
  const marker = join(modules, '.jo-bench-baseline-installed');
  if (existsSync(marker)) return;
  if (lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(modules);
  process.stderr.write(`bench: installing the baseline's own node_modules (${sha}, npm ci) in ${dir} ...\n`);
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 2, 2] });
  // a baseline that ships patch files (patches/, applied by its postinstall) runs with ITS patches, as it shipped
  // (without them its adapters refuse to start: KAFKA_CLIENT_UNPATCHED, RULE_ENGINE_UNPATCHED)
  if (existsSync(join(dir, 'patches')))
    execFileSync(join(modules, '.bin', 'patch-package'), [], { cwd: dir, stdio: ['ignore', 2, 2] });
  writeFileSync(marker, `${sha}\n`);
  process.stderr.write(`bench: baseline node_modules installed; later runs reuse them\n`);
}

/**
 * Runs `bench/<script>` of the variant's tree with `args` (JSON in argv[2]) and returns the JSON of its last stdout
 * line. `profileDir`: a V8 CPU profile of the child under `<profileDir>/<label>/`.
 */
export function runChild<T>(v: Variant, script: string, args: unknown, label: string, profileDir?: string): Promise<T> {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, label)}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', `bench/${script}`, JSON.stringify(args)], {
    cwd: v.root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${label}: exit ${code}: ${out}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
