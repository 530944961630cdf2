import { describe, expect, it } from 'vitest';
import { topicCatalog, type TopicSpec } from '../schemas/index.js';
import { checkCatalog } from './topics.js';

describe('topic catalog', () => {
  it('lists every topic of the contract with the configured prefix', () => {
    const names = topicCatalog({ prefix: 'acme.' }).map((t) => t.name);
    expect(names).toEqual([
      'acme.events',
      'acme.profiles',
      'acme.config',
      'acme.timers',
      'acme.commands.http',
      'acme.commands.campaign',
      'acme.action-results',
      'acme.action-attempts',
      'acme.step-events',
      'acme.controls',
      'acme.reports',
      'acme.dlq',
    ]);
  });

  it('compacts config, profiles, timers and reports (the timer index and report store changelogs) only', () => {
    const compacted = topicCatalog()
      .filter((t) => t.compacted)
      .map((t) => t.name);
    expect(compacted).toEqual(['jo.profiles', 'jo.config', 'jo.timers', 'jo.reports']);
  });

  it('rejects co-partitioned topics with different partition counts, naming them', () => {
    const specs: TopicSpec[] = topicCatalog({ partitions: 4 }).map((t) =>
      t.name === 'jo.timers' ? { ...t, partitions: 8 } : t,
    );
    expect(() => checkCatalog(specs)).toThrow(/same partition count: .*jo\.profiles=4.*jo\.timers=8/);
    expect(() => checkCatalog(topicCatalog({ partitions: 4 }))).not.toThrow();
  });
});
