import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupMembers } from './group-members.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'jo-members-')), 'group-members.json');
const remembered = (g: string) => g.startsWith('app');

describe('GroupMembers', () => {
  it('hands a saved id to the first consumer only, and a disconnected consumer its id to the one rebuilt after it', () => {
    const f = file();
    writeFileSync(f, JSON.stringify({ app: 'm-1', other: 'x-1' }));
    const members = new GroupMembers({ file: f, groups: remembered });
    expect(members.take('other')).toBeUndefined(); // not a remembered group
    expect(members.take('app')).toBe('m-1');
    expect(members.take('app')).toBeUndefined(); // a second consumer of the group in this process joins as new

    members.remember('app', 'm-2');
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ app: 'm-2' });
    members.release('app', 'm-2'); // that consumer disconnected (a crash kafkajs gave up on, a broker outage)
    expect(members.take('app')).toBe('m-2'); // its replacement rejoins as the same member
    expect(members.take('app')).toBeUndefined();

    members.release('other', 'x-2');
    expect(members.take('other')).toBeUndefined();
  });

  it('keeps the seed a restart read from the file when a consumer disconnects before taking it', () => {
    const f = file();
    writeFileSync(f, JSON.stringify({ app: 'm-1' }));
    const members = new GroupMembers({ file: f, groups: remembered });
    members.release('app', 'm-0');
    expect(members.take('app')).toBe('m-1');
  });
});
