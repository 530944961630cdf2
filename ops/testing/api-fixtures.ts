/**
 * What the API tests share: tokens of both roles and the environment policy under which the schemas' golden
 * fixtures (configFixtures, endpoints on 127.0.0.1:9999) are accepted.
 */
import { DEFAULT_SECRET_POLICY, parseOutboundPolicy } from '../../schemas/index.js';

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
