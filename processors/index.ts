/**
 * processors/ — the journey pipeline built on topology/: normalize to XDM, repartition by identity, enrich,
 * match journeys, evaluate nodes, timers, and emit commands and step events.
 */
export {};
