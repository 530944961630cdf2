import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { kafkaLogSink, transientKind } from './kafka-log.js';

function capture() {
  const lines: Array<{ level: number; msg: string; persistingForMs?: number }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const WARN = 40;
const ERROR = 50;
const DEBUG = 20;

describe('kafkajs log sink', () => {
  it('tells the transient start-up lines a fresh broker causes', () => {
    expect(
      transientKind('Response Metadata(key: 3, version: 6)', {
        error: 'This server is not the leader for that topic-partition',
      }),
    ).toBe('leader');
    expect(
      transientKind('[Connection] Response FindCoordinator', {
        error: "The coordinator is loading and hence can't process requests",
      }),
    ).toBe('coordinator');
    expect(
      transientKind('[Consumer] Crash: KafkaJSProtocolError: The group is rebalancing, so a rejoin is needed', {}),
    ).toBe('rebalance');
    expect(transientKind('Restarting the consumer in 300ms', { retryTime: 300 })).toBe('restart');
    expect(
      transientKind('Response JoinGroup(key: 11, version: 5)', {
        error: 'The coordinator is not aware of this member',
      }),
    ).toBe('member');
    expect(
      transientKind('Response AddOffsetsToTxn(key: 25, version: 1)', {
        error:
          'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
      }),
    ).toBe('transaction');
    expect(
      transientKind('Response OffsetFetch(key: 9, version: 7)', {
        error: 'There are unstable offsets that need to be cleared',
      }),
    ).toBe('unstable-offsets');
    // seen at Ctrl-C in CI (ops/first-hour.int): a heartbeat sent on a connection the disconnect had just ended
    expect(
      transientKind('Connection error: write after end', {
        stack: 'Error [ERR_STREAM_WRITE_AFTER_END]: write after end',
      }),
    ).toBe('connection-closing');
    // a broker restarting (measured: ~300 such lines at error level during a 15 s restart)
    expect(transientKind('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {})).toBe('broker-unreachable');
    expect(
      transientKind('Failed to connect to seed broker, trying another broker from the list: Connection error', {}),
    ).toBe('broker-unreachable');
    expect(
      transientKind('[Consumer] Crash: KafkaJSNumberOfRetriesExceeded: SASL authentication failed', {}),
    ).toBeUndefined();
  });

  it('logs transient lines at debug, and at their own level once they persist', async () => {
    const { logger, lines } = capture();
    let t = 0;
    const sink = kafkaLogSink(logger, { persistMs: 30_000, quietMs: 30_000, now: () => t });
    sink('error', 'Response Metadata', { error: 'This server is not the leader for that topic-partition' });
    t = 10_000;
    sink('error', 'Response Metadata', { error: 'This server is not the leader for that topic-partition' });
    sink('error', '[Consumer] Crash: KafkaJSNonRetriableError: SASL authentication failed', {});
    t = 31_000; // still coming 31 s after the first: a real problem
    sink('error', 'Response Metadata', { error: 'This server is not the leader for that topic-partition' });
    t = 100_000; // after a quiet spell it is start-up noise again (a broker restart)
    sink('error', 'Response Metadata', { error: 'This server is not the leader for that topic-partition' });
    sink('warn', 'Restarting the consumer in 300ms', {});
    logger.flush();
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [DEBUG, 'Response Metadata'],
      [DEBUG, 'Response Metadata'],
      [ERROR, '[Consumer] Crash: KafkaJSNonRetriableError: SASL authentication failed'],
      [ERROR, 'Response Metadata'],
      [DEBUG, 'Response Metadata'],
      [DEBUG, 'Restarting the consumer in 300ms'],
    ]);
    expect(lines[3]?.persistingForMs).toBe(31_000);
    expect(lines.some((l) => l.level === WARN)).toBe(false);
  });
});
