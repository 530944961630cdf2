/**
 * ops/ — wiring: configuration, CLI (`jo`), REST API, metrics, topic provisioning and local broker scripts.
 */
export * from './topics.js';
export * from './metrics.js';
export * from './engine-config.js';
export * from './logger.js';
