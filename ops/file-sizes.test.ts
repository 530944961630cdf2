// The house rule of issue 15: no production file over 400 lines (tests, test kits and fixtures aside). A file that
// grows past it is split by what its parts do, as topology/runtime/task-punctuations.ts was split from task.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['topology', 'processors', 'schemas', 'connectors', 'ops'];
const MAX_LINES = 400;

function productionFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = join(dir, e.name);
    if (e.isDirectory())
      return e.name === 'testing' || e.name === 'fixtures' || e.name === 'node_modules' ? [] : productionFiles(rel);
    return /\.(ts|js|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [rel] : [];
  });
}

it(`no production file has more than ${MAX_LINES} lines`, () => {
  const files = FOLDERS.flatMap(productionFiles);
  expect(files.length).toBeGreaterThan(100);
  const long = files
    .map((f) => ({ file: f, lines: readFileSync(join(root, f), 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES);
  expect(long).toEqual([]);
});
