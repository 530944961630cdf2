import { describe, expect, it } from 'vitest';
import { AssignerProtocol } from '../topology/index.js';
import { isFenced, newerAmong, newOwnerTag, type OwnerTag } from './txn-owner.js';

/** Members as DescribeGroups lists them, advertising `tags` (undefined = a member without user data). */
const groupOf = (tags: ReadonlyArray<OwnerTag | undefined>) =>
  tags.map((t) => ({
    memberMetadata: AssignerProtocol.MemberMetadata.encode({
      version: 1,
      topics: ['t'],
      userData: t ? Buffer.from(JSON.stringify(t)) : Buffer.alloc(0),
    }),
  }));

describe('txn-owner', () => {
  const me = newOwnerTag('tx-a', 1_000);

  it('finds a newer member with the same transactional id, ignoring itself, older ones and other ids', () => {
    const older = { ...newOwnerTag('tx-a', 500) };
    const other = newOwnerTag('tx-b', 2_000);
    expect(newerAmong(groupOf([me, older, other, undefined]), me)).toBeUndefined();
    const newer = newOwnerTag('tx-a', 1_500);
    expect(newerAmong(groupOf([me, older, newer]), me)).toEqual(newer);
  });

  it('breaks a tie in start time by nonce, so exactly one of two instances steps aside', () => {
    const twin = { ...newOwnerTag('tx-a', 1_000) };
    const a = newerAmong(groupOf([me, twin]), me);
    const b = newerAmong(groupOf([me, twin]), twin);
    expect([a, b].filter((x) => x !== undefined)).toHaveLength(1);
  });

  it('recognises fencing errors through their causes', () => {
    expect(isFenced({ type: 'PRODUCER_FENCED' })).toBe(true);
    expect(isFenced(Object.assign(new Error('retries'), { cause: { type: 'INVALID_PRODUCER_EPOCH' } }))).toBe(true);
    expect(isFenced({ type: 'CONCURRENT_TRANSACTIONS' })).toBe(false);
    expect(isFenced(undefined)).toBe(false);
  });
});
