/**
 * schemas/ for tests only: golden fixtures. Production code imports `schemas/index.ts`, which does not export
 * these; lint keeps files outside tests and `testing/` folders from importing any `testing/` entry.
 */
/** Golden configuration fixtures (events, data source, actions, a journey using every node type). */
export * as configFixtures from '../fixtures/config-fixtures.js';
/** Golden message fixtures (XDM event, normalized event, command, result, step event, DLQ headers). */
export * as messageFixtures from '../fixtures/message-fixtures.js';
