import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_CODES, schemaCodes, type ConfigProblem } from '../schemas/index.js';
import { NormalizeCodes, processorCodes } from '../processors/index.js';
import { ConnectorCodes, connectorCodes } from '../connectors/index.js';
import { ApiError } from './api/index.js';
import type { ApiProblem } from './api/errors.js';
import { duplicateCodes, ERROR_REGISTRIES, errorsMarkdown } from './error-catalogue.js';
import { GENERATED_DOCS } from './generated-docs.js';

describe('error-code registries', () => {
  it('a ConfigProblem code comes from a registry: an unregistered one does not type-check (npm run typecheck)', () => {
    // @ts-expect-error NOT_A_CODE is in no registry (typecheck fails here if ConfigProblem.code were a free string)
    const unregistered: ConfigProblem = { pointer: '', code: 'NOT_A_CODE', message: '' };
    // @ts-expect-error an API code (ops/codes.ts) is not a schemas/ validator's code
    const apiCodeInSchemas: ConfigProblem = { pointer: '', code: 'BODY_TOO_DEEP', message: '' };
    const api: ApiProblem[] = [
      { pointer: '', code: 'BODY_TOO_DEEP', message: '' },
      { pointer: '/url', code: 'URL_NOT_ALLOWED', message: '' },
    ];
    const registered = new Set<string>([...Object.keys(schemaCodes), ...Object.keys(connectorCodes.codes)]);
    expect(registered.has(unregistered.code)).toBe(false);
    expect(registered.has(apiCodeInSchemas.code)).toBe(false);
    expect(api.map((p) => p.code)).toEqual(['BODY_TOO_DEEP', 'URL_NOT_ALLOWED']);
  });

  it('docs/errors.md is what the registries say (run `npm run docs` after changing a registry)', () => {
    for (const [path, render] of GENERATED_DOCS)
      expect(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8'), path).toBe(render());
  });

  it('list each code once across folders', () => {
    expect(duplicateCodes()).toEqual([]);
    expect(ERROR_REGISTRIES.map((r) => Object.keys(r.codes).length).reduce((a, b) => a + b)).toBeGreaterThan(100);
  });

  it('a stale page is caught: a code added to a registry changes the page', () => {
    const extra = [...ERROR_REGISTRIES, { folder: 'x', codes: { X_NEW: { retryable: false, doc: 'new' } } }];
    expect(errorsMarkdown(extra)).not.toBe(errorsMarkdown());
    expect(errorsMarkdown(extra)).toContain('| `X_NEW` | no | new |');
  });

  it('cover the codes the folders name outside their registry tables', () => {
    for (const c of SCHEMA_CODES) expect(schemaCodes).toHaveProperty(c);
    for (const c of Object.values(NormalizeCodes)) expect(processorCodes.codes).toHaveProperty(c);
    for (const c of Object.values(ConnectorCodes)) expect(connectorCodes.codes).toHaveProperty(c);
  });

  it('give errors their retryability and the API its status', () => {
    expect(processorCodes.error('SCHEMA_REGISTRY_UNAVAILABLE', 'down').retryable).toBe(true);
    expect(processorCodes.error('EVENT_TOO_LARGE', 'big').retryable).toBe(false);
    expect(connectorCodes.error('HTTP_STATUS', '503', { retryable: true }).retryable).toBe(true);
    expect(connectorCodes.error('HTTP_STATUS', '404').retryable).toBe(false);
    const e = new ApiError('RESOURCE_IN_USE', 'in use', { journeys: ['j'] });
    expect([e.statusCode, e.retryable, e.code]).toEqual([409, false, 'RESOURCE_IN_USE']);
    expect(new ApiError('NOT_READY', 'loading').statusCode).toBe(503);
  });
});
