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
