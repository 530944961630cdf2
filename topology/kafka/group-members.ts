/**
 * Fast rejoin after a crash: a process remembers, in a small file of its local state, the member id each of its
 * consumer groups gave it, and a restarted process joins with that id. The group coordinator then sees the
 * crashed member come back instead of a new one arriving, and completes the rebalance as soon as the members it
 * knows have joined, instead of waiting out the crashed member's session timeout (what static membership, KIP-345,
 * does; kafkajs has none). A remembered id the coordinator no longer knows is refused with UNKNOWN_MEMBER_ID,
 * after which kafkajs joins as a new member as usual.
 *
 * The id reaches kafkajs as the consumer option `memberId`, which the kafkajs patch adds (fix 8 in
 * kafkajs-fixes.ts): kafka-client.ts asks {@link GroupMembers.take} for it when it builds a consumer.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface GroupMembersOptions {
  /** JSON file (in the process's local state directory) holding `{groupId: memberId}`. */
  readonly file: string;
  /** Groups worth remembering: those this process joins again with the same id after a restart. */
  readonly groups: (groupId: string) => boolean;
}

/** The remembered member ids of one process; `remember` is called on every join of a remembered group. */
export class GroupMembers {
  private readonly saved: Record<string, string> = {};
  /**
   * Member ids to rejoin with, by group id; each is handed out once (to the first consumer of that group), and a
   * consumer that disconnects hands its id back ({@link GroupMembers.release}) for the consumer rebuilt after it.
   */
  private readonly seeds = new Map<string, string>();

  constructor(private readonly opts: GroupMembersOptions) {
    try {
      const read = JSON.parse(readFileSync(opts.file, 'utf8')) as Record<string, unknown>;
      for (const [group, member] of Object.entries(read)) {
        if (typeof member !== 'string' || !opts.groups(group)) continue;
        this.saved[group] = member;
        this.seeds.set(group, member);
      }
    } catch {
      // no file yet (first start) or unreadable: join as new members
    }
  }

  /** The member id the first consumer of `groupId` in this process joins with; undefined after the first call. */
  take(groupId: string): string | undefined {
    const seed = this.seeds.get(groupId);
    this.seeds.delete(groupId);
    return seed;
  }

  /**
   * A consumer of `groupId` that joined as `memberId` has disconnected: the next consumer of that group in this
   * process joins with that id. After a broker outage the disconnect's LeaveGroup fails, the coordinator reloads
   * the old member, and a consumer rebuilt under a new id would wait out that member's session timeout (30 s for
   * the connectors) before its first assignment; under the old id the rebalance completes at once.
   */
  release(groupId: string, memberId: string): void {
    if (this.opts.groups(groupId) && !this.seeds.has(groupId)) this.seeds.set(groupId, memberId);
  }

  remember(groupId: string, memberId: string): void {
    if (!this.opts.groups(groupId) || this.saved[groupId] === memberId) return;
    this.saved[groupId] = memberId;
    try {
      mkdirSync(dirname(this.opts.file), { recursive: true });
      const tmp = `${this.opts.file}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.saved));
      renameSync(tmp, this.opts.file);
    } catch {
      // only a slower restart is lost
    }
  }
}
