/**
 * The connectors' integration-test helpers on top of the broker test kit (topology/testing): the connector topics
 * under a fresh prefix, command builders, results of a committed read. Test code only.
 */
import { randomUUID } from 'node:crypto';
import { topicNames, type ActionCommand, type ActionResult } from '../../schemas/index.js';
import { createTopics, type ReadRecord } from '../../topology/testing/index.js';
import type { Admin } from '../../topology/index.js';

export interface TestTopics {
  readonly prefix: string;
  readonly names: ReturnType<typeof topicNames>;
}

/** Creates the command, result and DLQ topics under a fresh prefix. */
export async function createConnectorTopics(admin: Admin, prefix: string, partitions = 3): Promise<TestTopics> {
  const names = topicNames(prefix);
  await createTopics(admin, [
    { name: names.commands('http'), partitions },
    { name: names.commands('campaign'), partitions },
    { name: names.actionResults, partitions },
    { name: names.dlq, partitions: 1 },
  ]);
  return { prefix, names };
}

/** A valid command for `url`, due within `deadlineMs`. */
export function command(url: string, over: Partial<ActionCommand> = {}, deadlineMs = 30_000): ActionCommand {
  const now = Date.now();
  const id = randomUUID();
  return {
    commandId: `cmd-${id}`,
    journeyId: 'j1',
    journeyVersion: 1,
    instanceId: `inst-${id.slice(0, 8)}`,
    nodeId: 'n1',
    profileKey: `email:${id.slice(0, 8)}@example.com`,
    action: 'act',
    request: { url, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}' },
    createdAt: new Date(now).toISOString(),
    deadline: new Date(now + deadlineMs).toISOString(),
    ...over,
  };
}

/** Commands as records keyed by profile, for `produce`. */
export const asRecords = (cmds: readonly ActionCommand[]) =>
  cmds.map((c) => ({ key: c.profileKey, value: JSON.stringify(c) }));

export const results = (records: readonly ReadRecord[]): ActionResult[] =>
  records.map((r) => JSON.parse(r.value ?? 'null') as ActionResult);
