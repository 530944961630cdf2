import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../topology/index.js';
import { loadEngineConfig } from './engine-config.js';
import { workerConfig } from './pipeline-workers.js';
import { cliConfig } from './start-command.js';

describe('engine configuration', () => {
  it('applies defaults, the file, then the environment, and freezes the result', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jo-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ partitions: 12, api: { port: 9999 } }));
    const c = loadEngineConfig({
      KAFKA_BROKERS: 'a:9092, b:9092',
      JO_CONFIG_FILE: file,
      JO_API_PORT: '8088',
      JO_API_TOKENS: 'aaaaaaaaaaaaaaaa:admin,bbbbbbbbbbbbbbbb:read',
    });
    expect(c.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
    expect(c.partitions).toBe(12);
    expect(c.api.port).toBe(8088);
    expect(c.api.tokens).toEqual([
      { token: 'aaaaaaaaaaaaaaaa', role: 'admin' },
      { token: 'bbbbbbbbbbbbbbbb', role: 'read' },
    ]);
    expect(c.processingGuarantee).toBe('exactly_once');
    expect(c.eagerCommit).toBe(false);
    expect(loadEngineConfig({ KAFKA_BROKERS: 'a:9092', JO_EAGER_COMMIT: 'true' }).eagerCommit).toBe(true);
    expect(Object.isFrozen(c.api)).toBe(true);
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      loadEngineConfig({
        KAFKA_BROKERS: 'nope',
        JO_PARTITIONS: '0',
        JO_PROCESSING_GUARANTEE: 'maybe',
        JO_API_TOKENS: 'short',
        JO_EAGER_COMMIT: 'yes',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/\/kafkaBrokers\/0/);
    expect(problems).toMatch(/\/partitions/);
    expect(problems).toMatch(/\/processingGuarantee/);
    expect(problems).toMatch(/\/api\/tokens\/0\/token/);
    expect(problems).toMatch(/\/eagerCommit/);
  });

  it('reads the pipeline workers (default 1) and rejects a count under 1 or not whole', () => {
    expect(loadEngineConfig({ KAFKA_BROKERS: 'a:9092' }).pipelineWorkers).toBe(1);
    expect(loadEngineConfig({ KAFKA_BROKERS: 'a:9092', JO_PIPELINE_WORKERS: '2' }).pipelineWorkers).toBe(2);
    for (const bad of ['0', '1.5', 'two'])
      expect(() => loadEngineConfig({ KAFKA_BROKERS: 'a:9092', JO_PIPELINE_WORKERS: bad })).toThrow(
        /\/pipelineWorkers/,
      );
  });

  it('gives a pipeline worker the whole configuration with its own state, identity and port, and nothing else', () => {
    const parent = loadEngineConfig({
      KAFKA_BROKERS: 'a:9092',
      JO_PIPELINE_WORKERS: '3',
      JO_STATE_DIR: '/var/jo',
      JO_INSTANCE_ID: 'host-1',
      JO_API_PORT: '8080',
      JO_ADVERTISED_URL: 'http://host-1:8080',
      JO_COMMIT_INTERVAL_MS: '250',
    });
    const w = workerConfig(parent, 2);
    expect(w).toMatchObject({
      only: ['pipeline'],
      pipelineWorkers: 1,
      stateDir: '/var/jo/worker-2',
      instanceId: 'host-1-w2',
      api: { host: parent.api.host, port: 0 },
      commitIntervalMs: 250,
    });
    expect(w.advertisedUrl).toBeUndefined();
    // what `jo start` does with it in the worker (JO_WORKER_CONFIG): the same configuration, whatever the env says
    const env = { KAFKA_BROKERS: 'b:9092', JO_STATE_DIR: '/elsewhere', JO_WORKER_CONFIG: JSON.stringify(w) };
    expect(cliConfig(['start', '--only', 'pipeline'], env)).toEqual(w);
  });

  it('reads the memory budgets (store cache, task queue and pending output bytes) and rejects out-of-range ones', () => {
    const d = loadEngineConfig({ KAFKA_BROKERS: 'a:9092' });
    expect([d.storeCacheBytes, d.taskQueueBytes, d.taskPendingOutputBytes]).toEqual([
      64 * 1024 * 1024,
      4 * 1024 * 1024,
      4 * 1024 * 1024,
    ]);
    const c = loadEngineConfig({
      KAFKA_BROKERS: 'a:9092',
      JO_STORE_CACHE_BYTES: '0',
      JO_TASK_QUEUE_BYTES: '1048576',
      JO_TASK_PENDING_OUTPUT_BYTES: '2097152',
    });
    expect([c.storeCacheBytes, c.taskQueueBytes, c.taskPendingOutputBytes]).toEqual([0, 1_048_576, 2_097_152]);
    let err: unknown;
    try {
      loadEngineConfig({
        KAFKA_BROKERS: 'a:9092',
        JO_STORE_CACHE_BYTES: '-1',
        JO_TASK_QUEUE_BYTES: '1.5',
        JO_TASK_PENDING_OUTPUT_BYTES: '1024',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/\/storeCacheBytes/);
    expect(problems).toMatch(/\/taskQueueBytes/);
    expect(problems).toMatch(/\/taskPendingOutputBytes/);
  });

  it('requires brokers', () => {
    expect(() => loadEngineConfig({})).toThrow(/kafkaBrokers/);
  });
});
