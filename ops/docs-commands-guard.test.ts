// No command named inline in the docs (prose and tables: `npm run infra:up`, `jo validate FILE`, `bash
// ops/infra/kafka.sh start|stop|status|reset`, `npm run bench -- engine`) names something that does not exist: a
// `jo` command or flag missing from the CLI's own help, an npm script missing from package.json, a bench case with
// no bench/<case>.ts, a script or one of its actions, an environment variable no code reads. Fenced examples are
// run by the docs tests (ops/docs-examples-guard.test.ts keeps that so); this keeps the inline ones from rotting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { docsFiles, REPO_ROOT } from './testing/docs-blocks.js';
import {
  commandFacts,
  commandProblems,
  envNames,
  inlineCommands,
  joWords,
  type CommandFacts,
} from './testing/inline-commands.js';
import { main } from './cli.js';

/**
 * Who runs each inline command in CI (`by`: runner file → text it must contain, checked so a reason cannot go stale),
 * or why it is not run there (`notInCi`). Every inline command must match one entry; an entry nothing matches fails.
 */
interface Runs {
  readonly span: RegExp;
  readonly by?: Readonly<Record<string, readonly string[]>>;
  readonly notInCi?: string;
}
const DOCS_INT = 'ops/docs-examples.int.test.ts';
const INFRA = { 'ops/local-infra.ts': ["runScript('kafka.sh', 'start')", "runScript('registry.sh', 'start')"] };
const RUNS: readonly Runs[] = [
  { span: /^(jo|node ops\/bin\/jo\.js)( --help)?$/, by: { [DOCS_INT]: ['node ops/bin/jo.js --help'] } },
  { span: /^jo start\b/, by: { [DOCS_INT]: ["'scale-out'"], 'ops/first-hour.int.test.ts': ["['start']"] } },
  { span: /^jo api$/, by: { [DOCS_INT]: ["'api-run'"] } },
  { span: /^(jo|node ops\/bin\/jo\.js) topics\b/, by: { [DOCS_INT]: ['node ops/bin/jo.js topics'] } },
  { span: /^(jo|node ops\/bin\/jo\.js) validate\b/, by: { [DOCS_INT]: ['node ops/bin/jo.js validate'] } },
  { span: /^jo test\b/, by: { 'ops/docs-examples.test.ts': ["'jo-test'"] } },
  { span: /^jo replay\b/, by: { 'ops/journey-test/replay.int.test.ts': ['replayCommand('] } },
  {
    span: /^((KAFKA_BROKERS=\S+ node ops\/bin\/)?jo(\.js)?) produce-sample\b/,
    by: { [DOCS_INT]: ["'governance-produce'"], 'ops/first-hour.int.test.ts': ['produce-sample'] },
  },
  { span: /^npm start$/, by: { 'ops/first-hour.int.test.ts': ["spawn('npm', ['start']"] } },
  { span: /^npm ci$|^npm test$|^npm run test:unit$/, by: { '.ci/run': ['npm ci', 'npm test', 'run --project unit'] } },
  { span: /^npm run verify$/, by: { '.ci/run': ['format:check', 'lint', 'typecheck', 'npm test'] } },
  { span: /^npx patch-package$/, by: { 'package.json': ['"postinstall": "patch-package"'], '.ci/run': ['npm ci'] } },
  { span: /^npm run infra:(up|down)$/, by: INFRA },
  { span: /^bash ops\/infra\/registry\.sh start\|stop\|status$/, by: INFRA },
  {
    span: /^bash ops\/infra\/kafka\.sh start\|stop\|status\|reset$/,
    by: { ...INFRA, [DOCS_INT]: ['bash ops/infra/kafka.sh status', 'bash ops/infra/kafka.sh reset'] },
  },
  {
    span: /^KAFKA_PORT=\S+ KAFKA_CONTROLLER_PORT=\S+ JO_INFRA_DIR=\S+ bash ops\/infra\/kafka\.sh start$/,
    by: { 'topology/testing/private-broker.ts': ['KAFKA_CONTROLLER_PORT', "'ops/infra/kafka.sh'), 'start'"] },
  },
  {
    span: /^npm run bench -- connectors$|^npm run bench \[-- /,
    by: { [DOCS_INT]: ['BENCH_TINY=1 npm run bench -- connectors'] },
  },
  {
    span: /(npm run bench|bench\/run\.ts) /,
    notInCi:
      'benchmarks take minutes and CI time is bounded: the guard checks each case and variable exists; ' +
      'CI runs the connectors case with BENCH_TINY=1 (bench/run.ts), which shows the runner works',
  },
  {
    span: /^npm run docs$/,
    notInCi:
      'it rewrites docs/errors.md and docs/metrics.md; the catalogue tests fail when they differ from what it writes',
  },
  {
    span: /^npm (ci --omit=dev|ci --ignore-scripts|install|link)$|^npx patch-package kafkajs$|^npx jo$/,
    notInCi:
      "npm's own install variants and patch-package's re-making of the patch: a maintainer's steps, not the engine's",
  },
];

/** The entry that covers an inline command (the first whose pattern matches its text). */
const runsOf = (span: string): Runs | undefined => RUNS.find((r) => r.span.test(span));

/** Every problem of one page: `FILE:LINE \`span\`: what is wrong`. */
function pageProblems(file: string, markdown: string, facts: CommandFacts): string[] {
  const commands = inlineCommands(file, markdown).flatMap((c) =>
    commandProblems(c, facts).map((p) => `${file}:${c.line} \`${c.span}\`: ${p}`),
  );
  const env = envNames(markdown)
    .filter((e) => !facts.code.includes(e.name))
    .map((e) => `${file}:${e.line} ${e.name}: no code reads it`);
  return [...commands, ...env];
}

const pages = () => docsFiles().map((f) => ({ file: f, text: readFileSync(join(REPO_ROOT, f), 'utf8') }));

/** What `jo` prints and exits with for argv, run in this process (the same `main` bin/jo.js calls). */
async function jo(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('commands named inline in the docs', () => {
  const facts = commandFacts();

  it('name only commands, flags, scripts, bench cases, files and environment variables that exist', () => {
    const all = pages();
    const commands = all.flatMap((p) => inlineCommands(p.file, p.text));
    // the ones the issue names are found (an extractor that finds nothing would pass everything)
    const spans = commands.map((c) => c.span);
    for (const s of ['npm run infra:up', 'bash ops/infra/kafka.sh start|stop|status|reset', 'npm run bench -- engine'])
      expect(spans).toContain(s);
    expect(spans.filter((s) => s.startsWith('jo ')).length).toBeGreaterThan(10);
    expect(all.flatMap((p) => pageProblems(p.file, p.text, facts))).toEqual([]);
  });

  it('every inline command is run in CI by a named test, or is on the short list of what CI cannot run, with why', () => {
    const commands = pages().flatMap((p) => inlineCommands(p.file, p.text));
    const uncovered = commands.filter((c) => !runsOf(c.span)).map((c) => `${c.file}:${c.line} \`${c.span}\``);
    expect(uncovered, 'inline commands nothing runs: add a runner (or a reason) to RUNS').toEqual([]);
    const used = new Set(commands.map((c) => runsOf(c.span)));
    expect(
      RUNS.filter((r) => !used.has(r)).map((r) => String(r.span)),
      'RUNS entries no docs command needs',
    ).toEqual([]);
    for (const r of RUNS)
      for (const [runner, texts] of Object.entries(r.by ?? {}))
        for (const t of texts)
          expect(readFileSync(join(REPO_ROOT, runner), 'utf8'), `${runner} runs ${t}`).toContain(t);
    // the short list, shown with each run
    const notRun = commands.filter((c) => runsOf(c.span)?.notInCi).map((c) => `  ${c.file}:${c.line} ${c.span}`);
    console.info(`inline commands not run in CI (${notRun.length}):\n${notRun.join('\n')}`);
  });

  it('every `jo` command the docs name answers `jo COMMAND --help` with its flags, exit 0, nothing started', async () => {
    const named = new Set(
      pages()
        .flatMap((p) => inlineCommands(p.file, p.text))
        .map((c) => joWords(c.argv)?.[0])
        .filter((w): w is string => w !== undefined && !w.startsWith('-')),
    );
    expect([...named].sort()).toEqual(expect.arrayContaining(['api', 'produce-sample', 'start', 'topics', 'validate']));
    for (const cmd of named) {
      const r = await jo([cmd, '--help']);
      expect(r, `jo ${cmd} --help`).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(new RegExp(`^usage: jo ${cmd}\\b`));
      for (const flag of facts.joCommands.get(cmd) ?? []) expect(r.out, `jo ${cmd} --help`).toContain(flag);
    }
    const all = await jo(['--help']);
    expect(all.code).toBe(0);
    for (const cmd of facts.joCommands.keys()) expect(all.out).toContain(`  ${cmd}`);
    expect(await jo(['no-such-command', '--help'])).toMatchObject({ code: 2, out: '' });
  });

  it('finds a renamed command, a missing flag, script, bench case, action, file and environment variable', () => {
    const page = [
      'Run `jo strat --dev` or `jo start --devv`; `npm run infra:upp`; `npm start --dev`;',
      '| `bash ops/infra/kafka.sh start\\|halt` | `npm run bench -- engine\\|enigne` |',
      '`BENCH_EVENTZ=10 npm run bench -- stores`, `node ops/bin/nope.js`, `npx no-such-bin`,',
      '`curl -s http://127.0.0.1:8080/healthz`; set `JO_NO_SUCH_SETTING` and',
      '`npm run verify` (fine), `jo validate --kind journey FILE` (fine).',
      '```sh\njo strat\n```',
    ].join('\n');
    expect(pageProblems('docs/x.md', page, facts)).toEqual([
      'docs/x.md:1 `jo strat --dev`: `jo strat` is not a command of `jo --help`',
      'docs/x.md:1 `jo start --devv`: `jo start` has no flag --devv',
      'docs/x.md:1 `npm run infra:upp`: package.json has no "infra:upp" script',
      'docs/x.md:1 `npm start --dev`: `npm start --dev`: npm reads --dev as its own option',
      'docs/x.md:2 `bash ops/infra/kafka.sh start|halt`: ops/infra/kafka.sh has no "halt" action',
      'docs/x.md:2 `npm run bench -- engine|enigne`: `npm run bench -- enigne`: bench/enigne.ts has no run()',
      'docs/x.md:3 `BENCH_EVENTZ=10 npm run bench -- stores`: no code reads BENCH_EVENTZ',
      'docs/x.md:3 `node ops/bin/nope.js`: ops/bin/nope.js does not exist',
      'docs/x.md:3 `npx no-such-bin`: npx no-such-bin: no such bin',
      'docs/x.md:4 `curl -s http://127.0.0.1:8080/healthz`: an inline curl is not run: show it as a fenced <!-- run: NAME --> block',
      'docs/x.md:3 BENCH_EVENTZ: no code reads it',
      'docs/x.md:4 JO_NO_SUCH_SETTING: no code reads it',
    ]);
  });
});
