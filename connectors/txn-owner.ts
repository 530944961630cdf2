/**
 * Who owns a connector's transactional id. A fenced producer cannot tell whether a newer instance took its id
 * over (then the old one must step aside) or something else bumped the epoch (a tool, a coordinator timeout,
 * a process that came and went: then it should re-initialise and carry on). Every connector instance advertises
 * its transactional id and start time in its consumer-group member metadata; after a fence the instance looks
 * at the group and steps aside only for a newer owner of the same id.
 */
import { randomUUID } from 'node:crypto';
import {
  memberUserData,
  roundRobinAssigner,
  type Admin,
  type PartitionAssigner,
  type Timer,
} from '../topology/index.js';

/** What one connector instance advertises about itself. */
export interface OwnerTag {
  readonly txId: string;
  /** Epoch ms when the instance was created. */
  readonly startedAt: number;
  /** Breaks ties between instances created in the same millisecond. */
  readonly nonce: string;
}

export function newOwnerTag(txId: string, now: number): OwnerTag {
  return { txId, startedAt: now, nonce: randomUUID() };
}

/** Round-robin assignment (the kafkajs default) whose member metadata carries `tag` as user data. */
export function taggedRoundRobin(tag: OwnerTag): PartitionAssigner {
  return roundRobinAssigner(Buffer.from(JSON.stringify(tag)));
}

function tagOf(userData: Buffer): OwnerTag | undefined {
  try {
    if (userData.length === 0) return undefined;
    const t = JSON.parse(userData.toString('utf8')) as Partial<OwnerTag>;
    return typeof t.txId === 'string' && typeof t.startedAt === 'number' && typeof t.nonce === 'string'
      ? { txId: t.txId, startedAt: t.startedAt, nonce: t.nonce }
      : undefined;
  } catch {
    return undefined;
  }
}

const newer = (a: OwnerTag, b: OwnerTag): boolean =>
  a.startedAt > b.startedAt || (a.startedAt === b.startedAt && a.nonce > b.nonce);

/** The newer instance of the group advertising `me.txId`, if any (call after leaving the group yourself). */
export async function newerOwner(admin: Admin, groupId: string, me: OwnerTag): Promise<OwnerTag | undefined> {
  return newerByUserData(await admin.describeGroupMembers(groupId), me);
}

/** Of group members (as DescribeGroups lists them), the first newer one advertising `me.txId`. */
export function newerAmong(
  members: ReadonlyArray<{ readonly memberMetadata: Buffer }>,
  me: OwnerTag,
): OwnerTag | undefined {
  return newerByUserData(
    members.map((m) => ({ userData: memberUserData(m.memberMetadata) })),
    me,
  );
}

function newerByUserData(members: ReadonlyArray<{ readonly userData: Buffer }>, me: OwnerTag): OwnerTag | undefined {
  for (const m of members) {
    const t = tagOf(m.userData);
    if (t && t.txId === me.txId && t.nonce !== me.nonce && newer(t, me)) return t;
  }
  return undefined;
}

/** True when `err` (or a cause) says this producer's epoch is stale: another producer initialised its id. */
export function isFenced(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const { type, cause } = e as { type?: unknown; cause?: unknown };
    if (type === 'PRODUCER_FENCED' || type === 'INVALID_PRODUCER_EPOCH') return true;
    e = cause;
  }
  return false;
}

/** `newerOwner`, looked up to 3 times 500 ms apart: right after an instance left, its group may be rebalancing. */
export async function newerOwnerWithRetry(
  admin: Admin,
  groupId: string,
  me: OwnerTag,
  timer: Timer,
): Promise<OwnerTag | undefined> {
  for (let i = 0; i < 3; i++) {
    const owner = await newerOwner(admin, groupId, me);
    if (owner) return owner;
    await timer.sleep(500);
  }
  return undefined;
}
