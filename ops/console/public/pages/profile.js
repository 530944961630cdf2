// Profile lookup: where one profile stands in every journey (GET /v1/profiles/:key, answered from the owning
// pipeline process's state; shape in processors/journey/profile-view.ts). Shown only when the API lists that route
// in /openapi.json; an API without it gets no nav link and the page says so instead of guessing.
import { api, enc } from '../api.js';
import { h, mount, errorText } from '../dom.js';

/** What the instance waits for at its node, in words. */
function waitingText(w) {
  if (!w) return '';
  if (w.kind === 'timer') return `timer due ${w.dueAt}`;
  if (w.kind === 'event') return `event ${w.events.join(' | ')}${w.timeoutAt ? ` until ${w.timeoutAt}` : ''}`;
  if (w.kind === 'actionResult') return `result of ${w.commandId} until ${w.timeoutAt}`;
  return w.kind;
}

function journeyRow(j) {
  const i = j.instance;
  const canvas = `#/journeys/${enc(j.journeyId)}${i ? `/v/${i.version}` : ''}`;
  return h(
    'tr',
    { 'data-journey': j.journeyId, 'data-status': j.status, 'data-node': i?.currentNode ?? '' },
    h('td', {}, h('a', { href: canvas }, j.journeyId)),
    h('td', {}, j.status),
    h('td', {}, i ? `v${i.version}` : ''),
    h('td', {}, i ? `${i.currentNode} (${i.nodeType})` : ''),
    h('td', {}, waitingText(i?.waitingFor)),
    h('td', {}, i?.enteredAt ?? j.lastEnteredAt ?? ''),
    h('td', { class: 'num' }, String(j.entries)),
    h('td', {}, i?.lastError ?? ''),
  );
}

function renderAnswer(r) {
  if (r.journeys.length === 0)
    return h('p', { class: 'muted', id: 'profile-none' }, `${r.profileKey} is in no journey.`);
  return h(
    'div',
    {},
    h(
      'table',
      { class: 'list', id: 'profile-journeys' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Journey', 'Status', 'Version', 'Node', 'Waiting for', 'Entered', 'Entries', 'Last error'].map((x) =>
            h('th', {}, x),
          ),
        ),
      ),
      h('tbody', {}, r.journeys.map(journeyRow)),
    ),
    h('details', {}, h('summary', {}, 'Answer as JSON'), h('pre', { class: 'json' }, JSON.stringify(r, null, 2))),
  );
}

export async function renderProfile(ctx) {
  if (!ctx.features.profiles)
    return mount(ctx.main, h('p', { class: 'muted' }, 'This API has no profile lookup route.'));
  const input = h('input', {
    id: 'profile-key',
    name: 'key',
    placeholder: 'namespace:id, e.g. email:ada@example.com',
    value: ctx.params.key ?? '',
  });
  const out = h('div', { id: 'profile-result' });
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: (ev) => {
        ev.preventDefault();
        const to = `#/profiles/${enc(input.value.trim())}`;
        // the same key again asks again (the hash does not change, so no navigation would happen)
        if (location.hash === to) ctx.reload();
        else ctx.go(to);
      },
    },
    input,
    h('button', { type: 'submit', id: 'profile-lookup' }, 'Look up'),
  );
  mount(ctx.main, h('h1', {}, 'Profile lookup'), form, out);
  if (!ctx.params.key) return;
  try {
    mount(out, renderAnswer(await api('GET', `/v1/profiles/${enc(ctx.params.key)}`)));
  } catch (err) {
    mount(out, h('p', { class: 'error', id: 'profile-error' }, errorText(err)));
  }
}
