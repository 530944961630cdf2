import { describe, expect, it } from 'vitest';
import { offsetsOf } from './changelog-restore.js';

const notLeader = () =>
  Object.assign(new Error('This server is not the leader for that topic-partition'), {
    retriable: true,
    type: 'NOT_LEADER_FOR_PARTITION',
  });

describe('changelog offsets before a restore', () => {
  it('retries a retriable error (a leader being elected) after refreshing the metadata', async () => {
    let calls = 0;
    let refreshed = 0;
    const admin = {
      fetchTopicOffsets: async () => {
        if (++calls < 3) throw notLeader();
        return [{ partition: 0, offset: '5', high: '5', low: '0' }];
      },
      fetchTopicMetadata: async () => {
        refreshed++;
        return { topics: [] };
      },
    };
    const offsets = await offsetsOf(admin, 'app-store-changelog', async () => undefined);
    expect(offsets).toEqual([{ partition: 0, offset: '5', high: '5', low: '0' }]);
    expect(calls).toBe(3);
    expect(refreshed).toBe(2);
  });

  it('fails at once on an error that is not retriable', async () => {
    let calls = 0;
    const admin = {
      fetchTopicOffsets: async () => {
        calls++;
        throw Object.assign(new Error('Not authorized'), { retriable: false });
      },
      fetchTopicMetadata: async () => ({ topics: [] }),
    };
    await expect(offsetsOf(admin, 't', async () => undefined)).rejects.toThrow('Not authorized');
    expect(calls).toBe(1);
  });
});
