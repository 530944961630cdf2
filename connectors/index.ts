/**
 * connectors/ — the outside world: HTTP action and Campaign connectors consuming `jo.commands.<connector>`,
 * and the HTTP data-source client used for enrichment.
 */
export {};
