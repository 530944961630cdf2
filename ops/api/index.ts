/**
 * ops/api — the admin REST API over `jo.config`: `buildApi` (no listening; tests use `inject`),
 * `startApiServer` (listens), the Kafka-backed config store, token auth and the journey lifecycle.
 */
export { buildApi, DEFAULT_BODY_LIMIT, type ApiOptions } from './app.js';
export { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { KafkaConfigStore, type ConfigStore, type KafkaConfigStoreOptions, type WriteResult } from './config-store.js';
export { KafkaReportView, type ReportSource, type KafkaReportViewOptions } from './report-view.js';
export { TokenAuth, type ApiToken, type TokenRole } from './auth.js';
export { saveDraft, publish, close, stop, latestDraft } from './lifecycle.js';
export { exportBundle, BUNDLE_FORMAT, JourneyBundle } from './bundle.js';
export { ApiError } from './errors.js';
export { validateCommand, loadConfigDocs, type ConfigDoc, type ValidateOutcome } from './validate-command.js';
export { KafkaProfileControls, type ProfileControls, type ControlWrite } from './profile-controls.js';
export {
  DirectoryProfileLookup,
  type LocalProfileQuery,
  type ProfileAnswer,
  type ProfileLookup,
} from './profile-lookup.js';
export { registerInternalProfileRoute } from './routes-profiles.js';
