import { describe, expect, it } from 'vitest';
import { changelogTopicOf, TopologyBuilder } from './builder.js';
import { ConfigError } from './errors.js';
import { CoPartitionError, planTasks } from '../runtime/plan.js';
import { serdes } from './record.js';
import { jsonSerde } from './store.js';

const src = { keyDeserializer: serdes.stringDeserializer, valueDeserializer: serdes.stringDeserializer };
const noop = () => ({ process: () => undefined });

describe('TopologyBuilder', () => {
  it('reports every graph problem at once', () => {
    const b = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['a'], ...src })
      .addSource({ name: 'in', topics: ['b'], ...src })
      .addProcessor({ name: 'p', supplier: noop, parents: ['missing'], stores: ['nostore'] })
      .addSink({
        name: 's',
        topic: 'o',
        parents: ['in'],
        keySerializer: serdes.stringSerializer,
        valueSerializer: serdes.stringSerializer,
      })
      .addProcessor({ name: 'q', supplier: noop, parents: ['s'] });
    let err: unknown;
    try {
      b.build();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'duplicate node name "in"',
      '"p" has unknown parent "missing"',
      'processor "p" uses unknown store "nostore"',
      '"q" has a sink as parent ("s")',
    ]);
  });

  it('joins processors sharing a store into one sub-topology and describes the graph', () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'a', topics: ['ta'], ...src })
      .addSource({ name: 'b', topics: ['tb'], ...src })
      .addSource({ name: 'c', topics: ['tc'], ...src })
      .addStateStore({ name: 's', serde: jsonSerde() })
      .addProcessor({ name: 'pa', supplier: noop, parents: ['a'], stores: ['s'] })
      .addProcessor({ name: 'pb', supplier: noop, parents: ['b'], stores: ['s'] })
      .addProcessor({ name: 'pc', supplier: noop, parents: ['c'] })
      .build();
    expect(t.subTopologies.map((s) => s.nodes)).toEqual([
      ['a', 'b', 'pa', 'pb'],
      ['c', 'pc'],
    ]);
    expect(t.describe()).toContain('pa: processor (stores: s)');
  });

  it('places a punctuation-only processor (no parent) with its stores; refuses one with neither', () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'a', topics: ['ta'], ...src })
      .addStateStore({ name: 's', serde: jsonSerde(), changelogTopic: 'my-topic' })
      .addProcessor({ name: 'pa', supplier: noop, parents: ['a'], stores: ['s'] })
      .addProcessor({ name: 'wheel', supplier: noop, parents: [], stores: ['s'] })
      .build();
    expect(t.subTopologies.map((s) => s.nodes)).toEqual([['a', 'pa', 'wheel']]);
    expect(changelogTopicOf('app', { name: 's', changelogTopic: 'my-topic' })).toBe('my-topic');
    expect(changelogTopicOf('app', { name: 's' })).toBe('app-s-changelog');
    expect(() =>
      new TopologyBuilder()
        .addSource({ name: 'a', topics: ['ta'], ...src })
        .addProcessor({ name: 'lost', supplier: noop, parents: [] })
        .build(),
    ).toThrow(/"lost" has no parent and no store/);
  });
});

describe('planTasks', () => {
  const t = new TopologyBuilder()
    .addSource({ name: 'a', topics: ['ta', 'tb'], ...src })
    .addProcessor({ name: 'p', supplier: noop, parents: ['a'] })
    .build();

  it('sizes a sub-topology by its co-partitioned inputs', () => {
    expect(planTasks(t, 'app', () => 6).partitions.get(0)).toBe(6);
  });

  it('fails with a clear error when co-partitioned topics differ in partition count', () => {
    expect(() => planTasks(t, 'app', (x) => (x === 'ta' ? 6 : 4))).toThrow(CoPartitionError);
    expect(() => planTasks(t, 'app', (x) => (x === 'ta' ? 6 : 4))).toThrow(
      'sub-topology 0 reads co-partitioned topics with different partition counts: ta=6, tb=4',
    );
  });

  it('fails when a source topic is missing', () => {
    expect(() => planTasks(t, 'app', () => undefined)).toThrow('source topic "ta" does not exist');
  });
});
