/**
 * Every folder's error-code registry in one list, and docs/errors.md rendered from it. `npm run docs` writes the
 * file; ops/error-catalogue.test.ts fails when the committed file differs from what the registries say.
 */
import { schemaCodes } from '../schemas/index.js';
import { topologyCodes, type CodeTable } from '../topology/index.js';
import { processorCodes } from '../processors/index.js';
import { connectorCodes } from '../connectors/index.js';
import { opsCodes } from './codes.js';

export interface CodeRegistry {
  readonly folder: string;
  readonly codes: CodeTable;
}

/** In the order a record travels: formats, runtime, journey steps, connectors, wiring and API. */
export const ERROR_REGISTRIES: readonly CodeRegistry[] = [
  { folder: 'schemas', codes: schemaCodes },
  topologyCodes,
  processorCodes,
  connectorCodes,
  opsCodes,
];

const INTRO = `# Error codes

Generated from the error-code registries (\`schemas/codes.ts\`, \`topology/codes.ts\`, \`processors/codes.ts\`,
\`connectors/codes.ts\`, \`ops/codes.ts\`) by \`npm run docs\`; a unit test fails when this file is stale.

Codes appear in \`jo.dlq\` headers (\`jo.error.code\`), in action results (\`error\` as \`CODE: message\`), in API error
bodies and in start-up failures. *Retryable* says whether retrying the same thing can help (retryable → retry with
backoff; terminal → dead-letter or report; *depends* → the occurrence says, e.g. 5xx vs 4xx). *HTTP* is the status
the admin API answers with.
`;

const HEADINGS: Readonly<Record<string, string>> = {
  schemas: 'Configuration problems (schemas/) — in API 400 bodies and `jo validate` output, with a JSON pointer',
  topology: 'Stream runtime and state stores (topology/)',
  processors: 'Journey pipeline (processors/)',
  connectors: 'Connectors and data sources (connectors/)',
  ops: 'Admin API and CLI (ops/)',
};

function retryText(r: boolean | 'depends'): string {
  return r === 'depends' ? 'depends' : r ? 'yes' : 'no';
}

/** docs/errors.md as the registries say it should read. */
export function errorsMarkdown(registries: readonly CodeRegistry[] = ERROR_REGISTRIES): string {
  const parts = [INTRO];
  for (const r of registries) {
    const withStatus = Object.values(r.codes).some((c) => c.status !== undefined);
    parts.push(`\n## ${HEADINGS[r.folder] ?? r.folder}\n`);
    parts.push(
      withStatus
        ? '| code | retryable | HTTP | meaning |\n| --- | --- | --- | --- |'
        : '| code | retryable | meaning |\n| --- | --- | --- |',
    );
    for (const [code, c] of Object.entries(r.codes)) {
      const status = withStatus ? ` ${c.status ?? '—'} |` : '';
      parts.push(`| \`${code}\` | ${retryText(c.retryable)} |${status} ${c.doc} |`);
    }
  }
  return parts.join('\n') + '\n';
}

/** Codes registered by more than one folder (there should be none: a code means one thing). */
export function duplicateCodes(registries: readonly CodeRegistry[] = ERROR_REGISTRIES): string[] {
  const seen = new Map<string, string>();
  const dup: string[] = [];
  for (const r of registries)
    for (const code of Object.keys(r.codes)) {
      const other = seen.get(code);
      if (other !== undefined) dup.push(`${code} (${other}, ${r.folder})`);
      seen.set(code, r.folder);
    }
  return dup;
}
