// Test mode in the editor: runs a saved version of the journey (a draft, usually) through
// POST /v1/journeys/:id/versions/:version/test — a simulated clock, canned endpoints, nothing sent — and shows the
// answer: per profile the trail of steps, every command as it would have been sent, and the per-node counts.
// Only shown to admin tokens when the API has the route (the route is admin-only: it runs journey code).
import { api, enc } from './api.js';
import { h, mount, errorText } from './dom.js';

/** Sets `value` at a dotted path (`identityMap.email.0.id`), creating objects and arrays on the way. */
function setPath(obj, path, value) {
  const parts = path.split('.');
  let o = obj;
  parts.forEach((p, i) => {
    if (i === parts.length - 1) o[p] = value;
    else o = o[p] ??= /^\d+$/.test(parts[i + 1] ?? '') ? [] : {};
  });
  return obj;
}

/**
 * A first test request for a journey: one profile and one entry event built from the entry event's
 * configuration (its event type and identity path), so that "Run test" does something before any edit.
 */
export async function sampleRequest(journey) {
  const id = journey?.entry?.event;
  const cfg = id ? await api('GET', `/v1/events/${enc(id)}`).catch(() => undefined) : undefined;
  const who = 'ada@example.com';
  const event = { _id: 'test-1', timestamp: '2026-01-01T00:00:00.000Z' };
  if (cfg?.recognition?.eventType) event.eventType = cfg.recognition.eventType;
  if (cfg?.identity?.path) setPath(event, cfg.identity.path, who);
  const namespace = cfg?.identity?.namespace ?? journey?.namespace ?? 'email';
  return {
    profiles: { [`${namespace}:${who}`]: { email: who } },
    events: [{ offset: 0, event }],
  };
}

function table(id, head, rows, attrs = () => ({})) {
  return h(
    'table',
    { class: 'list', id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r, i) =>
        h(
          'tr',
          attrs(r, i),
          r.cells.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

function trails(report) {
  return Object.entries(report.profiles).map(([key, p]) =>
    h(
      'section',
      { class: 'trail', 'data-profile': key },
      h('h3', {}, key, ' ', h('span', { class: 'muted' }, `${p.trail.length} steps, ${p.commands} commands`)),
      table(
        `trail-${key}`,
        ['time (simulated)', 'node', 'status', 'reason'],
        p.trail.map((s) => ({ s, cells: [s.timestamp, s.nodeId, s.status, s.reason ?? ''] })),
        ({ s }) => ({ 'data-step': `${s.nodeId}:${s.status}` }),
      ),
    ),
  );
}

function commands(report) {
  if (report.commands.length === 0) return h('p', { class: 'muted', id: 'test-commands' }, 'No commands.');
  return table(
    'test-commands',
    ['time (simulated)', 'profile', 'node', 'action', 'request (not sent)', 'idempotency key'],
    report.commands.map((c) => ({
      c,
      cells: [
        c.timestamp,
        c.profileKey,
        c.nodeId,
        c.action,
        `${c.request.method} ${c.request.url}`,
        c.request.headers?.['idempotency-key'] ?? c.request.headers?.['Idempotency-Key'] ?? c.commandId,
      ],
    })),
    ({ c }) => ({ 'data-command': c.action }),
  );
}

function counts(report) {
  const rows = Object.entries(report.nodes).flatMap(([node, byStatus]) =>
    Object.entries(byStatus).map(([status, n]) => ({ node, status, cells: [node, status, String(n)] })),
  );
  return table('test-counts', ['node', 'status', 'count'], rows, (r) => ({
    'data-node': r.node,
    'data-status': r.status,
  }));
}

/** The rendered answer of a test run. */
export function renderTestReport(report) {
  const errors = report.errors.map((e) => h('li', {}, `${e.timestamp} ${e.profileKey} at ${e.nodeId}: ${e.reason}`));
  const discards = report.discards.map((d) => h('li', {}, `${d.timestamp} ${d.reason}`));
  return h(
    'div',
    { id: 'test-report', 'data-version': report.journey.version },
    h(
      'p',
      { class: 'muted' },
      `v${report.journey.version} (${report.journey.state}) from ${report.start} to ${report.end} — simulated; ` +
        'nothing was sent or written.',
    ),
    h('h3', {}, 'Trails'),
    trails(report),
    h('h3', {}, 'Commands'),
    commands(report),
    h('h3', {}, 'Per-node counts'),
    counts(report),
    errors.length > 0 && h('h3', {}, 'Errors'),
    errors.length > 0 && h('ul', { class: 'errors', id: 'test-errors' }, errors),
    discards.length > 0 && h('h3', {}, 'Discards'),
    discards.length > 0 && h('ul', { id: 'test-discards' }, discards),
  );
}

/**
 * The panel: a request editor and a "Save draft & test" button. `saveDraft()` resolves with the version to test
 * (saving the editor's JSON as a new draft only when it changed since the last save).
 */
export function createTestPanel({ journey, saveDraft, onStatus }) {
  const request = h('textarea', { id: 'test-request', class: 'json', rows: 10, spellcheck: 'false' });
  const out = h('div', { id: 'test-result' });
  void sampleRequest(journey).then((r) => {
    if (!request.value) request.value = JSON.stringify(r, null, 2);
  });
  const run = async () => {
    let body;
    try {
      body = JSON.parse(request.value);
    } catch (err) {
      return mount(out, h('p', { class: 'error' }, `test request: ${err.message}`));
    }
    mount(out, h('p', { class: 'muted' }, 'running…'));
    try {
      const target = await saveDraft();
      if (!target) return mount(out);
      const report = await api('POST', `/v1/journeys/${enc(target.id)}/versions/${target.version}/test`, body);
      mount(out, renderTestReport(report));
      onStatus?.(`tested v${target.version}`);
    } catch (err) {
      const problems = err?.body?.problems ?? err?.body?.errors ?? [];
      mount(
        out,
        h('p', { class: 'error', id: 'test-error' }, errorText(err)),
        problems.length > 0 &&
          h(
            'ul',
            { class: 'errors' },
            problems.map((p) => h('li', {}, `${p.pointer} ${p.code}: ${p.message}`)),
          ),
      );
    }
  };
  const element = h(
    'section',
    { class: 'test-panel', id: 'test-panel' },
    h(
      'h2',
      {},
      'Test mode ',
      h('span', { class: 'muted' }, 'profiles, events and canned responses; a simulated clock; nothing is sent'),
    ),
    request,
    h('button', { class: 'primary', id: 'run-test', onclick: () => void run() }, 'Save draft & test'),
    out,
  );
  return { element };
}
