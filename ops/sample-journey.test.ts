// The sample journey `npm start` installs (ops/sample/resources.json) does what its README says: the welcome email
// and, after 3 days without a purchase, the reminder go to the address of the signup event — including the
// reminder, which runs after an event node's timeout (issue 12: `event` after a wait was null, `{"to": null}`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runJourneyTest } from '../processors/index.js';

const sample = JSON.parse(readFileSync(new URL('./sample/resources.json', import.meta.url), 'utf8')) as {
  events: never[];
  actions: never[];
  datasources: never[];
  journeys: Array<{ id: string }>;
};

describe('the sample journey', () => {
  it('sends the welcome and, after the 3-day timeout, the reminder to the signup address; a buyer gets no reminder', async () => {
    const signup = (email: string, firstName: string) => ({
      offset: 'PT0S',
      event: { eventType: 'account.signup', person: { email, firstName } },
    });
    const report = await runJourneyTest({
      resources: { events: sample.events, actions: sample.actions, datasources: sample.datasources },
      journey: { id: 'welcome', version: 1, state: 'draft' },
      config: sample.journeys[0] as never,
      request: {
        events: [
          signup('ann@example.com', 'Ann'),
          signup('bob@example.com', 'Bob'),
          { offset: 'P1D', event: { eventType: 'commerce.purchases', person: { email: 'bob@example.com' } } },
        ],
        horizon: 'P5D',
      },
    });
    const sent = report.commands.map((c) => `${c.action} ${c.request.body}`).sort();
    expect(sent).toEqual([
      'reminder-email {"to": "ann@example.com"}',
      'welcome-email {"to": "ann@example.com", "firstName": "Ann"}',
      'welcome-email {"to": "bob@example.com", "firstName": "Bob"}',
    ]);
  });
});
