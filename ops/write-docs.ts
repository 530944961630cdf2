/** `npm run docs`: writes the generated pages of docs/ (ops/generated-docs.ts). */
import { writeFileSync } from 'node:fs';
import { GENERATED_DOCS } from './generated-docs.js';

const root = new URL('..', import.meta.url);
for (const [path, render] of GENERATED_DOCS) {
  writeFileSync(new URL(path, root), render());
  console.log(`wrote ${path}`);
}
