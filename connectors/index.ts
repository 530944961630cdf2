/**
 * connectors/ — the outside world: HTTP action and Campaign connectors consuming `jo.commands.<connector>`,
 * and the HTTP data-source client used for enrichment. All share one HTTP machinery (undici pool per origin,
 * auth with SecretRefs resolved in this process, OAuth2 token cache, timeouts, retries within the deadline,
 * rate and concurrency limits shared per process).
 */
export { ConnectorCodes, ConnectorRetryableError, ConnectorTerminalError, DataSourceError } from './errors.js';
export { connectorCodes, type ConnectorCode } from './codes.js';
export { connectorMetrics } from './metric-catalogue.js';
export { SecretResolver, type SecretResolverOptions } from './secrets.js';
export { TokenBucket, Semaphore, LimitRegistry, processLimits, type LimitSpec } from './limits.js';
export { CircuitBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker.js';
export { TtlCache } from './ttl-cache.js';
export { OAuth2TokenCache, applyAuth, MAX_TOKEN_RESPONSE_BYTES, type AuthedRequest } from './auth.js';
export {
  guardedConnector,
  allowedAddress,
  isOutboundRefusal,
  OutboundRefusedError,
  systemResolve,
  type Resolve,
} from './outbound-policy.js';
export {
  HttpClient,
  parseJson,
  retryAfter,
  type HttpRequest,
  type HttpCallOptions,
  type HttpOutcome,
  type HttpClientOptions,
} from './http-client.js';
export {
  ActionExecutor,
  toResult,
  configuredOrigin,
  type ActionConfigLookup,
  type OriginLimits,
  type ActionExecutorOptions,
} from './action-executor.js';
export { CommandConsumer, parseCommand, type CommandHandler, type CommandConsumerOptions } from './command-consumer.js';
export { createHttpActionConnector, type HttpActionConnectorOptions } from './http-action-connector.js';
export {
  createCampaignConnector,
  executeCampaignCommand,
  campaignPayload,
  PushPlatforms,
  type CampaignChannel,
  type CampaignConnectorOptions,
} from './campaign-connector.js';
export { createDataSourceClient, type DataSourceClient, type DataSourceClientOptions } from './datasource-client.js';
