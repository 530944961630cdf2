/**
 * Before/after in one run: a benchmark runs the same child script on the current tree and on a baseline tree, the
 * repository at a git ref (`BENCH_BASELINE_REF`, default the commit before session 4's per-record CPU work; `none`
 * skips the baseline), extracted with `git archive` into a temporary directory that shares this checkout's
 * node_modules and is kept between runs. The child scripts are copied into the baseline tree; they use only names
 * that existed at the baseline too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
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

/** The tree at `ref` in a directory of its own, with this checkout's node_modules and the bench's child files. */
function baselineTree(ref: string, childFiles: readonly string[]): Variant {
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], { cwd: root })
    .toString()
    .trim();
  // A baseline from before patches/kafkajs+2.2.4.patch must run on the kafkajs it shipped with (it rewrote kafkajs
  // at load time itself): without this it got the current patch's fixes for free.
  const unpatch = !hasKafkaJsPatch(sha) && existsSync(join(root, KAFKAJS_PATCH));
  const dir = join(tmpdir(), `jo-bench-baseline-${sha}${unpatch ? '-unpatched' : ''}`);
  if (!existsSync(join(dir, 'topology', 'index.ts'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${sha} | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
    if (unpatch) unpatchedNodeModules(dir);
    else symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
  mkdirSync(join(dir, 'bench'), { recursive: true });
  for (const f of childFiles) copyFileSync(join(here, f), join(dir, 'bench', f));
  return { name: 'baseline', root: dir };
}

const KAFKAJS_PATCH = 'patches/kafkajs+2.2.4.patch';

function hasKafkaJsPatch(sha: string): boolean {
  const listed = execFileSync('git', ['ls-tree', '--name-only', sha, KAFKAJS_PATCH], { cwd: root }).toString();
  return listed.trim() !== '';
}

/** `dir/node_modules`: this checkout's packages (symlinked) except kafkajs, copied and the repo's patch reversed. */
function unpatchedNodeModules(dir: string): void {
  const nm = join(dir, 'node_modules');
  mkdirSync(nm);
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === 'kafkajs') cpSync(join(root, 'node_modules', name), join(nm, name), { recursive: true });
    else symlinkSync(join(root, 'node_modules', name), join(nm, name));
  }
  execFileSync('patch', ['-R', '-p1', '-s', '-i', join(root, KAFKAJS_PATCH)], { cwd: dir });
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
