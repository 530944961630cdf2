/**
 * What the API tests share: tokens of both roles and the environment policy under which the schemas' golden
 * fixtures (configFixtures, endpoints on 127.0.0.1:9999) are accepted.
 */
import { DEFAULT_SECRET_POLICY, parseOutboundPolicy } from '../../schemas/index.js';
import { configFixtures } from '../../schemas/testing/index.js';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const READ_TOKEN = 'read-token-0123456789abcdef';
/** One admin and one read-only token (`JO_API_TOKENS` as the API parses it). */
export const API_TOKENS = [
  { token: ADMIN_TOKEN, role: 'admin' as const },
  { token: READ_TOKEN, role: 'read' as const },
];
/** The fixtures' endpoints listen on 127.0.0.1:9999; every other internal address stays refused. */
export const FIXTURE_POLICY = {
  outbound: parseOutboundPolicy(['127.0.0.1:9999']),
  secrets: DEFAULT_SECRET_POLICY,
};

/** The PUTs (path, body) that save the cart journey's resources: its events, data source and actions. */
export function cartResourcePuts(): ReadonlyArray<readonly [path: string, body: { readonly id: string }]> {
  const { cartEvent, purchaseEvent, loyaltyDatasource, emailAction, smsAction } = configFixtures;
  return [
    [`/v1/events/${cartEvent.id}`, cartEvent],
    [`/v1/events/${purchaseEvent.id}`, purchaseEvent],
    [`/v1/datasources/${loyaltyDatasource.id}`, loyaltyDatasource],
    [`/v1/actions/${emailAction.id}`, emailAction],
    [`/v1/actions/${smsAction.id}`, smsAction],
  ];
}

/** The keys of the config records that saving `cartResourcePuts()` and the cart journey, then publishing it, writes
 * in order (a version's config key ends in its hash, shown as `<config>`). */
export const CART_CONFIG_KEYS = [
  'event/cartAbandoned',
  'event/purchase',
  'datasource/loyalty',
  'action/sendEmail',
  'action/sendSms',
  'journey/cartRecovery/v/1/<config>',
  'journey/cartRecovery',
  'journey/cartRecovery',
];
