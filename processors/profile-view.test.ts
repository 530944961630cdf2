// `describeProfile` (what GET /v1/profiles/:key answers) read from the real topology's journey-instances store.
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../topology/index.js';
import { describeProfile, type ProfileState } from './journey/index.js';
import { viewCatalog } from './steps/task-journeys.js';
import { STORES } from './topology-options.js';
import { closeDriversAfterEach, DAY, type JourneyDriver, welcomeDriver } from './testing/driver.js';

closeDriversAfterEach();

async function describeAnn(j: JourneyDriver) {
  const key = 'email:ann';
  const store = j.driver.getStore<ProfileState>(STORES.instances, partitionForKey(Buffer.from(key), 3));
  return describeProfile(await store.get(key), viewCatalog(j.view));
}

describe('describeProfile', () => {
  it('shows the current node and what it waits for, then the ended instance after a manual exit', async () => {
    const j = await welcomeDriver();
    expect(await describeAnn(j)).toEqual([]);
    const start = j.clock.now();
    await j.event('user.signup', 'ann');
    const [waiting] = await describeAnn(j);
    expect(waiting).toMatchObject({
      journeyId: 'welcome',
      status: 'running',
      entries: 1,
      instance: {
        version: 1,
        currentNode: 'pause',
        nodeType: 'wait',
        enteredAt: new Date(start).toISOString(),
        waitingFor: { kind: 'timer', dueAt: new Date(start + DAY).toISOString() },
        pendingEvents: 0,
      },
    });
    expect(waiting?.instance?.eventsSeen).toEqual([
      { eventConfigId: 'signup', id: expect.any(String) as string, timestamp: expect.any(String) as string },
    ]);

    await j.advance(DAY + 1_000);
    const [onEvent] = await describeAnn(j);
    expect(onEvent?.instance).toMatchObject({
      currentNode: 'waitPurchase',
      nodeType: 'event',
      waitingFor: { kind: 'event', events: ['purchase'], timeoutAt: expect.any(String) as string },
    });

    await j.exit('ann', 'welcome', 'c-1');
    const [ended] = await describeAnn(j);
    expect(ended).toMatchObject({ journeyId: 'welcome', status: 'ended', entries: 1 });
    expect(ended?.instance).toBeUndefined();
    expect(ended?.lastEndedAt).toBeDefined();
  });
});
