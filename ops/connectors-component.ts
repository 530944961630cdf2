/**
 * The action connectors as engine parts: the HTTP and Campaign command consumers of connectors/, sharing one HTTP
 * client (pools per origin, secrets resolved in this process), each in its own consumer group per application.
 */
import {
  HttpClient,
  SecretResolver,
  createCampaignConnector,
  createHttpActionConnector,
  type CommandConsumer,
} from '../connectors/index.js';
import { policyOf } from './engine-config.js';
import type { Component, SharedParts } from './component.js';

/** The `connectors` of `--only`: one component per connector type. */
export function connectorComponents(shared: SharedParts): Component[] {
  const { config, kafka, metrics, logger } = shared;
  const policy = policyOf(config);
  const http = new HttpClient({ outbound: policy.outbound, secrets: new SecretResolver({ policy: policy.secrets }) });
  // The connectors share the HTTP pools: closed once both have stopped (they stop in parallel).
  let using = 2;
  const release = async () => {
    if (--using === 0) await http.close();
  };
  const common = {
    kafka,
    http,
    metrics,
    topicPrefix: config.topicPrefix,
    actionConfig: (id: string) => shared.configView().action(id),
    // through the engine's logger (time, pid, JO_LOG_FORMAT), not the library's bare JSON lines on stderr
    log: (level: 'info' | 'warn', msg: string, extra: Record<string, unknown>) =>
      logger[level]({ component: `connector-${String(extra['connector'])}`, ...extra }, msg),
  };
  const make = (name: string, build: () => CommandConsumer): Component => {
    let consumer: CommandConsumer | undefined;
    let running = false;
    return {
      name,
      start: async () => {
        consumer = build();
        await consumer.start();
        running = true;
      },
      stop: async () => {
        const was = running;
        running = false;
        await consumer?.stop();
        if (was) await release();
      },
      ready: () => running && consumer?.consumerHealthy === true,
    };
  };
  return [
    make('connector-http', () =>
      createHttpActionConnector({
        ...common,
        groupId: `${config.applicationId}-connector-http`,
        transactionalId: `${config.applicationId}-connector-http-${config.instanceId}`,
      }),
    ),
    make('connector-campaign', () =>
      createCampaignConnector({
        ...common,
        groupId: `${config.applicationId}-connector-campaign`,
        transactionalId: `${config.applicationId}-connector-campaign-${config.instanceId}`,
      }),
    ),
  ];
}
