/**
 * schemas/ — every wire and configuration format: topic catalog, configuration resources (event, datasource,
 * action, journey) with their JSON Schemas and derived TypeScript types, XDM events (JSON Schema and Avro),
 * commands, results, step events and DLQ headers.
 */
export * from './topics.js';
export * from './avro-registry.js';
export * from './common.js';
export * from './resources.js';
export * from './messages.js';
export * from './reports.js';
export * from './rules/index.js';
export * from './template.js';
export * from './problems.js';
export { schemaCodes, type SchemaCode } from './codes.js';
export * from './duration.js';
export * from './journey-graph.js';
export * from './journey-compiler.js';
export * from './resource-validation.js';
export * from './payload-schema.js';
export * from './outbound-policy.js';
export * from './secret-policy.js';
export * from './config-record.js';
export * from './config-view.js';
export { parseCron, scheduleProblem, type CronSpec } from './audience-schedule.js';
export * from './xdm.js';
export * from './journey-test.js';
