/**
 * The reference pages of docs/ that are generated from data (the registries), not written by hand:
 * `npm run docs` (ops/write-docs.ts) writes them, and a unit test fails when a committed page is stale.
 */
import { errorsMarkdown } from './error-catalogue.js';
import { metricsMarkdown } from './metric-catalogue.js';

export const GENERATED_DOCS: ReadonlyArray<readonly [path: string, render: () => string]> = [
  ['docs/errors.md', () => errorsMarkdown()],
  ['docs/metrics.md', () => metricsMarkdown()],
];
