/**
 * Fast rejoin after a crash: a process remembers, in a small file of its local state, the member id each of its
 * consumer groups gave it, and a restarted process joins with that id. The group coordinator then sees the
 * crashed member come back instead of a new one arriving, and completes the rebalance as soon as the members it
 * knows have joined, instead of waiting out the crashed member's session timeout (what static membership, KIP-345,
 * does; kafkajs has none). A remembered id the coordinator no longer knows is refused with UNKNOWN_MEMBER_ID,
 * after which kafkajs joins as a new member as usual.
 *
 * kafkajs keeps the member id in its ConsumerGroup object and offers no way to set it; the adapter seeds it just
 * before the group's first connect (the only kafkajs internal touched here).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** Member ids to rejoin with, by group id; each is used once (by the first consumer of that group). */
const seeds = new Map<string, string>();
let patched = false;

interface ConsumerGroupLike {
  groupId: string;
  memberId: string | null;
  connect: (this: ConsumerGroupLike) => Promise<void>;
}

function seedMemberIds(): void {
  if (patched) return;
  patched = true;
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype: ConsumerGroupLike };
  const connect = ConsumerGroup.prototype.connect;
  ConsumerGroup.prototype.connect = function (this: ConsumerGroupLike): Promise<void> {
    const seed = this.memberId ? undefined : seeds.get(this.groupId);
    if (seed !== undefined) {
      seeds.delete(this.groupId);
      this.memberId = seed;
    }
    return connect.call(this);
  };
}

export interface GroupMembersOptions {
  /** JSON file (in the process's local state directory) holding `{groupId: memberId}`. */
  readonly file: string;
  /** Groups worth remembering: those this process joins again with the same id after a restart. */
  readonly groups: (groupId: string) => boolean;
}

/** The remembered member ids of one process; `remember` is called on every join of a remembered group. */
export class GroupMembers {
  private readonly saved: Record<string, string> = {};

  constructor(private readonly opts: GroupMembersOptions) {
    seedMemberIds();
    try {
      const read = JSON.parse(readFileSync(opts.file, 'utf8')) as Record<string, unknown>;
      for (const [group, member] of Object.entries(read)) {
        if (typeof member !== 'string' || !opts.groups(group)) continue;
        this.saved[group] = member;
        seeds.set(group, member);
      }
    } catch {
      // no file yet (first start) or unreadable: join as new members
    }
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
