// Journeys list: every journey with its versions and their state; entries and instances running of the live
// (else newest) version when the API has the report route; publish / close / stop / new draft for admin tokens.
import { api, enc } from '../api.js';
import { h, mount, errorText } from '../dom.js';
import { loadReport, reportTotals } from '../report.js';

function versionChips(j) {
  return h(
    'span',
    { class: 'chips' },
    j.versions.map((v) =>
      h(
        'a',
        {
          class: `chip state-${v.state}`,
          href: `#/journeys/${enc(j.id)}/v/${v.version}`,
          title: `version ${v.version}: ${v.state}`,
        },
        `v${v.version} ${v.state}`,
      ),
    ),
  );
}

function actionButtons(j, act) {
  const states = new Set(j.versions.map((v) => v.state));
  const b = (name, label, enabled, title) =>
    h(
      'button',
      { class: `act act-${name}`, 'data-action': name, disabled: !enabled, title, onclick: () => act(name, j) },
      label,
    );
  return h(
    'span',
    { class: 'actions' },
    b('publish', 'Publish', states.has('draft'), 'make the newest draft live'),
    b('close', 'Close', states.has('live'), 'stop new entries; running instances finish'),
    b('stop', 'Stop', states.has('live') || states.has('closed'), 'end every running instance'),
    h('a', { class: 'button act-draft', 'data-action': 'draft', href: `#/journeys/${enc(j.id)}/edit` }, 'New draft'),
  );
}

export async function renderJourneys(ctx) {
  const status = h('p', { class: 'status', role: 'status', id: 'status' });
  const body = h('tbody');
  const withCounts = ctx.features.report;
  const table = h(
    'table',
    { class: 'list', id: 'journeys' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Journey'),
        h('th', {}, 'Versions'),
        withCounts &&
          h('th', { class: 'num', title: 'entries of the live (else newest) version, this UTC day' }, 'Entries today'),
        withCounts && h('th', { class: 'num', title: 'entries of the live (else newest) version' }, 'Entries'),
        withCounts && h('th', { class: 'num' }, 'Running'),
        ctx.admin && h('th', {}, ''),
      ),
    ),
    body,
  );

  async function act(name, j) {
    if (name === 'stop' && !confirm(`Stop journey "${j.id}"? Every running instance ends.`)) return;
    try {
      const rec = await api('POST', `/v1/journeys/${enc(j.id)}/${name}`, {});
      const changed = rec.versions.find((v) => (name === 'publish' ? v.state === 'live' : true));
      status.textContent = `${name} ${j.id}: done${changed && name === 'publish' ? ` (v${changed.version} is live)` : ''}`;
      status.className = 'status ok';
    } catch (err) {
      status.textContent = `${name} ${j.id}: ${errorText(err)}`;
      status.className = 'status error';
    }
    await load();
  }

  async function load() {
    const { items } = await api('GET', '/v1/journeys');
    const rows = await Promise.all(
      items.map(async (j) => {
        const totals = withCounts ? reportTotals(await loadReport(j.id).catch(() => undefined)) : undefined;
        return h(
          'tr',
          { 'data-journey': j.id },
          h(
            'td',
            {},
            h('a', { href: `#/journeys/${enc(j.id)}`, class: 'journey-link' }, j.id),
            h('div', { class: 'muted' }, j.name),
          ),
          h('td', {}, versionChips(j)),
          withCounts && h('td', { class: 'num', 'data-col': 'entries-today' }, totals?.entriesToday ?? '–'),
          withCounts && h('td', { class: 'num', 'data-col': 'entries' }, totals?.entries ?? '–'),
          withCounts && h('td', { class: 'num', 'data-col': 'running' }, totals?.running ?? '–'),
          ctx.admin && h('td', {}, actionButtons(j, act)),
        );
      }),
    );
    mount(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No journeys yet.')));
  }

  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Journeys'),
      ctx.admin && h('a', { class: 'button primary', href: '#/new-journey', id: 'new-journey' }, 'New journey'),
    ),
    status,
    table,
  );
  await load();
  if (withCounts) {
    const t = setInterval(() => void load().catch(() => undefined), 5000);
    ctx.onLeave(() => clearInterval(t));
  }
}
