/**
 * ISO-8601 durations for rules evaluated at run time (`addDuration`, `inLast`, `durationMs`), with the same
 * fixed-length units as the journey compiler (schemas/duration.ts); local-time arithmetic (midnight, "next
 * 09:00") is done by the time operators in the journey's time zone.
 */
import { parseDurationMs } from '../../schemas/index.js';
import { processorCodes } from '../codes.js';

/** Parses an ISO-8601 duration; throws `RULE_BAD_DURATION` (terminal) when it is not one. */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw processorCodes.error('RULE_BAD_DURATION', `not an ISO-8601 duration: ${JSON.stringify(text)}`);
  return ms;
}
