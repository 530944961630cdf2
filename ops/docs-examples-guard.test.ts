// No shell example in the docs goes unrun: every fenced block of README.md, docs/*.md and each folder's README.md
// that a reader could paste into a shell (```sh, ```bash, ```shell, ```console, or no language) must follow a
// `<!-- run: NAME -->` marker that a docs test reads (ops/docs-examples.test.ts, ops/docs-examples.int.test.ts),
// or be on the short list below with the reason it is run elsewhere. Output samples are fenced as ```text and
// configuration as ```json: they are not commands.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docsFiles, fencedBlocks, REPO_ROOT } from './testing/docs-blocks.js';

/** The test files that run docs blocks; a marker counts as run when one of them reads it by file and name. */
const RUNNERS = ['ops/docs-examples.test.ts', 'ops/docs-examples.int.test.ts'];

/**
 * Shell blocks run by something other than a docs test, by file and first line, with who runs them; `shownBy` is
 * the text each of those runners must contain (checked below, so the reason cannot go stale unnoticed).
 */
const RUN_ELSEWHERE: ReadonlyArray<{ file: string; starts: string; why: string; shownBy: Record<string, string[]> }> = [
  {
    file: 'README.md',
    starts: 'npm ci && npm start',
    why: "the README's two commands: .ci/run runs `npm ci` and `npm test` on a clean clone; ops/first-hour.int.test.ts runs `npm start` as a newcomer does",
    shownBy: { '.ci/run': ['npm ci', 'npm test'], 'ops/first-hour.int.test.ts': ["'npm'", "'start'"] },
  },
];

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh', '']);

/** `FILE NAME` pairs the runners read: `docsBlock('api.md', 'profiles')`, `docsBlocks('README.md', …)`. */
function runMarkers(): Set<string> {
  const read = new Set<string>();
  for (const f of RUNNERS) {
    if (!existsSync(join(REPO_ROOT, f))) continue;
    const src = readFileSync(join(REPO_ROOT, f), 'utf8');
    for (const m of src.matchAll(/docsBlocks?\(\s*'([^']+)',\s*'([\w-]+)'/g)) {
      const file = m[1] ?? '';
      read.add(`${file.includes('/') ? file : `docs/${file}`} ${m[2] ?? ''}`);
    }
  }
  return read;
}

/** The shell blocks of one page that nothing runs, as `FILE:LINE why`. */
function unrunBlocks(file: string, markdown: string, read: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const b of fencedBlocks(markdown)) {
    const at = `${file}:${b.line}`;
    if (b.marker !== undefined) {
      if (b.lang !== 'sh') problems.push(`${at} a run marker must precede a \`\`\`sh block (this one is "${b.lang}")`);
      else if (!read.has(`${file} ${b.marker}`)) problems.push(`${at} <!-- run: ${b.marker} --> is read by no test`);
      continue;
    }
    if (!SHELL_LANGS.has(b.lang)) continue;
    const first = b.body.trimStart();
    if (RUN_ELSEWHERE.some((r) => r.file === file && first.startsWith(r.starts))) continue;
    problems.push(`${at} a \`\`\`${b.lang} block with no run marker: ${first.split('\n')[0] ?? ''}`);
  }
  return problems;
}

describe('docs shell examples', () => {
  it('every shell block of the READMEs and docs/ is run by a test (or listed with who runs it)', () => {
    const files = docsFiles();
    expect(files).toContain('README.md');
    expect(files).toContain('docs/api.md');
    expect(files).toContain('ops/README.md');
    const read = runMarkers();
    const problems = files.flatMap((f) => unrunBlocks(f, readFileSync(join(REPO_ROOT, f), 'utf8'), read));
    expect(problems).toEqual([]);
    // the exceptions are still there: a stale entry would hide nothing but mislead
    for (const r of RUN_ELSEWHERE) {
      expect(readFileSync(join(REPO_ROOT, r.file), 'utf8'), `${r.file}: ${r.starts}`).toContain(r.starts);
      for (const [runner, texts] of Object.entries(r.shownBy))
        for (const t of texts)
          expect(readFileSync(join(REPO_ROOT, runner), 'utf8'), `${runner} runs ${t}`).toContain(t);
    }
  });

  it('finds an unmarked block, a marker no test reads, and a marker on a non-sh block', () => {
    const page = [
      '```sh\ncurl -s $API/v1/journeys\n```',
      '<!-- run: known -->\n\n```sh\necho ok\n```',
      '<!-- run: unknown -->\n```sh\necho no\n```',
      '<!-- run: known -->\n```console\n$ echo ok\n```',
      '```\n$ jo start\n```',
      '```json\n{"id": "x"}\n```',
      '```text\n  console http://127.0.0.1:8080/console/\n```',
    ].join('\n\n');
    expect(unrunBlocks('docs/x.md', page, new Set(['docs/x.md known']))).toEqual([
      'docs/x.md:1 a ```sh block with no run marker: curl -s $API/v1/journeys',
      'docs/x.md:12 <!-- run: unknown --> is read by no test',
      'docs/x.md:17 a run marker must precede a ```sh block (this one is "console")',
      'docs/x.md:21 a ``` block with no run marker: $ jo start',
    ]);
  });
});
