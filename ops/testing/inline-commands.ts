/**
 * The commands the docs name inline, in prose and tables (`npm run infra:up`, `jo validate FILE`, `bash
 * ops/infra/kafka.sh start|stop|status|reset`), as opposed to fenced examples (docs-blocks.ts): where they are, what
 * they call, and whether what they call exists — a `jo` command and its flags in the CLI's help, an npm script in
 * package.json, a bench case in bench/, a script and its sub-commands, an environment variable some code reads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandFlags, commandSections } from '../cli-usage.js';
import { REPO_ROOT, SKIP_DIRS } from './docs-blocks.js';

/** An inline code span of a page: where it starts (1-based line) and its text (table escapes `\|` undone). */
export interface CodeSpan {
  readonly line: number;
  readonly text: string;
}

/** One command named inline: its environment assignments, its words, and the span it came from. */
export interface InlineCommand {
  readonly file: string;
  readonly line: number;
  readonly span: string;
  readonly env: string[];
  readonly argv: string[];
}

/** Every inline code span outside fenced blocks; a span may run over a line break, as in markdown. */
export function codeSpans(markdown: string): CodeSpan[] {
  let inFence: string | undefined;
  const prose = markdown.split('\n').map((l) => {
    const fence = /^\s*(`{3,}|~{3,})/.exec(l)?.[1];
    if (fence && (inFence === undefined || fence.startsWith(inFence))) {
      inFence = inFence === undefined ? fence : undefined;
      return '';
    }
    return inFence === undefined ? l : '';
  });
  const text = prose.join('\n');
  const spans: CodeSpan[] = [];
  for (const m of text.matchAll(/(?<!`)(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)) {
    const line = text.slice(0, m.index).split('\n').length;
    spans.push({ line, text: (m[2] ?? '').replace(/\s+/g, ' ').replace(/\\\|/g, '|').trim() });
  }
  return spans;
}

/** Programs whose inline mentions are commands to check (`jo` is also `node ops/bin/jo.js` and `npx jo`). */
const PROGRAMS = new Set(['jo', 'node', 'npm', 'npx', 'bash', 'sh', 'curl']);

/** The spans of a page that are commands: optional `NAME=value` words, then one of PROGRAMS. */
export function inlineCommands(file: string, markdown: string): InlineCommand[] {
  const out: InlineCommand[] = [];
  for (const s of codeSpans(markdown)) {
    const words = s.text.split(' ');
    const env: string[] = [];
    while (/^[A-Z][A-Z0-9_]*=/.test(words[0] ?? '')) env.push((words.shift() ?? '').split('=')[0] ?? '');
    // a program named alone (`npm`, `sh`) is prose about it, not a command
    if (!PROGRAMS.has(words[0] ?? '') || (words.length === 1 && words[0] !== 'jo')) continue;
    out.push({ file, line: s.line, span: s.text, env, argv: words });
  }
  return out;
}

/** Environment variable names a page's code spans mention (`JO_…`, `BENCH_…`, `KAFKA_…`, registry ones). */
export function envNames(markdown: string): Array<{ line: number; name: string }> {
  return codeSpans(markdown).flatMap((s) =>
    [...s.text.matchAll(/\b((?:JO|BENCH|KAFKA|SCHEMA_REGISTRY|REGISTRY)_[A-Z0-9_]*[A-Z0-9])\b/g)].map((m) => ({
      line: s.line,
      name: m[1] ?? '',
    })),
  );
}

/** What the checks compare against: the CLI's help, package.json, bench cases, and the code's text. */
export interface CommandFacts {
  readonly joCommands: Map<string, Set<string>>;
  readonly scripts: Set<string>;
  readonly bins: Set<string>;
  readonly benchCases: Set<string>;
  /** Every source file's text (TypeScript, JavaScript, shell; tests too: their knobs are documented), for env names. */
  readonly code: string;
}

function sourceText(dir = REPO_ROOT): string {
  let text = '';
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory() && !SKIP_DIRS.has(e.name) && e.name !== 'docs') text += sourceText(path);
    // the docs tests are left out: their made-up names (the guard's self-test) must not count as read
    else if (e.isFile() && /\.(ts|js|mjs|sh)$/.test(e.name) && !/^docs-.*\.test\.ts$/.test(e.name))
      text += readFileSync(path, 'utf8');
  }
  return text;
}

/** The facts of this checkout. */
export function commandFacts(): CommandFacts {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
    bin?: Record<string, string>;
  };
  const joCommands = new Map([...commandSections()].map(([name, section]) => [name, commandFlags(section)]));
  const benchCases = readdirSync(join(REPO_ROOT, 'bench'))
    .filter((f) => f.endsWith('.ts'))
    .filter((f) =>
      /^export async function run\(ctx: BenchContext\)/m.test(readFileSync(join(REPO_ROOT, 'bench', f), 'utf8')),
    )
    .map((f) => f.replace(/\.ts$/, ''));
  const bins = new Set([
    ...Object.keys(pkg.bin ?? {}),
    ...(existsSync(join(REPO_ROOT, 'node_modules/.bin')) ? readdirSync(join(REPO_ROOT, 'node_modules/.bin')) : []),
  ]);
  return {
    joCommands,
    scripts: new Set(Object.keys(pkg.scripts ?? {})),
    bins,
    benchCases: new Set(benchCases),
    code: sourceText(),
  };
}

/** `a|b|[c]` → `a`, `b`, `c`: the alternatives a docs word offers (tables write `start\|stop`). */
const alternatives = (word: string): string[] =>
  word
    .replace(/[[\]]/g, '')
    .split('|')
    .filter((w) => w !== '');

/** The sub-commands a script's `case "${1:-}" in` accepts (`start) …`, `stop|halt) …`). */
function scriptActions(path: string): Set<string> | undefined {
  const src = readFileSync(path, 'utf8');
  const body = /case "\$\{1:-\}" in([\s\S]*?)\besac\b/.exec(src)?.[1];
  if (body === undefined) return undefined;
  return new Set([...body.matchAll(/^\s*([\w|-]+)\)/gm)].flatMap((m) => (m[1] ?? '').split('|')));
}

/** `jo X …` words of a command, whichever way the docs start `jo`; undefined when it is not a `jo` command. */
export function joWords(argv: readonly string[]): string[] | undefined {
  if (argv[0] === 'jo') return argv.slice(1);
  if (argv[0] === 'node' && argv[1] === 'ops/bin/jo.js') return argv.slice(2);
  if (argv[0] === 'npx' && argv[1] === 'jo') return argv.slice(2);
  return undefined;
}

function checkJo(words: readonly string[], facts: CommandFacts): string[] {
  const [cmd, ...args] = words;
  if (cmd === undefined || cmd === '--help') return [];
  const flags = facts.joCommands.get(cmd);
  if (flags === undefined) return [`\`jo ${cmd}\` is not a command of \`jo --help\``];
  const unknown = args.flatMap((a) => alternatives(a)).filter((a) => a.startsWith('--') && a !== '--help');
  return unknown.filter((f) => !flags.has(f.split('=')[0] ?? f)).map((f) => `\`jo ${cmd}\` has no flag ${f}`);
}

function checkNpm(argv: readonly string[], facts: CommandFacts): string[] {
  const [, sub, ...rest] = argv;
  const dashes = rest.indexOf('--');
  const own = dashes >= 0 ? rest.slice(0, dashes) : rest;
  const passed = dashes >= 0 ? rest.slice(dashes + 1) : [];
  if (sub === 'ci' || sub === 'install' || sub === 'link') return [];
  if (sub === 'start' || sub === 'test') {
    if (!facts.scripts.has(sub)) return [`package.json has no "${sub}" script`];
    return own.length > 0 ? [`\`npm ${sub} ${own.join(' ')}\`: npm reads ${own.join(' ')} as its own option`] : [];
  }
  if (sub !== 'run') return [`\`npm ${sub ?? ''}\` is not a command these docs should need`];
  const script = own[0] ?? '';
  if (!facts.scripts.has(script)) return [`package.json has no "${script}" script`];
  if (script !== 'bench') return [];
  const cases = [...own.slice(1), ...passed].flatMap(alternatives).filter((w) => !w.startsWith('-'));
  return cases
    .filter((c) => !facts.benchCases.has(c))
    .map((c) => `\`npm run bench -- ${c}\`: bench/${c}.ts has no run()`);
}

function checkScript(argv: readonly string[]): string[] {
  const [, file, ...args] = argv;
  if (file === undefined || !existsSync(join(REPO_ROOT, file))) return [`${file ?? '(no file)'} does not exist`];
  const actions = scriptActions(join(REPO_ROOT, file));
  if (actions === undefined) return [];
  return args
    .flatMap(alternatives)
    .filter((a) => !actions.has(a))
    .map((a) => `${file} has no "${a}" action`);
}

/** `node [flags] FILE args`: FILE exists; `bench/run.ts CASE` names bench cases, as `npm run bench -- CASE` does. */
function checkNode(args: readonly string[], facts: CommandFacts): string[] {
  let i = 0;
  while ((args[i] ?? '').startsWith('-')) i += ['--import', '--require', '-r'].includes(args[i] ?? '') ? 2 : 1;
  const file = args[i] ?? '';
  if (!existsSync(join(REPO_ROOT, file))) return [`${file} does not exist`];
  if (file !== 'bench/run.ts') return [];
  return checkNpm(['npm', 'run', 'bench', '--', ...args.slice(i + 1)], facts);
}

/** What is wrong with one inline command (empty when everything it names exists). */
export function commandProblems(c: InlineCommand, facts: CommandFacts): string[] {
  const problems = c.env.filter((e) => !facts.code.includes(e)).map((e) => `no code reads ${e}`);
  const jo = joWords(c.argv);
  if (jo) return [...problems, ...checkJo(jo, facts)];
  const [program, first] = c.argv;
  if (program === 'npm') return [...problems, ...checkNpm(c.argv, facts)];
  if (program === 'npx')
    return first && facts.bins.has(first) ? problems : [...problems, `npx ${first ?? ''}: no such bin`];
  if (program === 'bash' || program === 'sh') return [...problems, ...checkScript(c.argv)];
  if (program === 'node') return [...problems, ...checkNode(c.argv.slice(1), facts)];
  return [...problems, 'an inline curl is not run: show it as a fenced <!-- run: NAME --> block'];
}
