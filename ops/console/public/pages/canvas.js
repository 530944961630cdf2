// Journey canvas: one version's graph laid out automatically, live per-node counts from the report (when the API
// has it) refreshed every few seconds, and a side panel with the clicked node's definition and its counts
// (departures by outcome, errors, discards) and its recent errors (the report keeps the last few per node).
import { api, enc } from '../api.js';
import { h, mount, errorText } from '../dom.js';
import { journeyGraph, layout, renderGraph } from '../graph.js';
import { loadReport, nodeCounts } from '../report.js';

const REFRESH_MS = 3000;

function pickVersion(rec, wanted) {
  if (wanted) return rec.versions.find((v) => v.version === Number(wanted));
  return rec.versions.find((v) => v.state === 'live') ?? rec.versions[rec.versions.length - 1];
}

function countsList(c) {
  const rows = [
    ['entered', c.entered ?? 0],
    ['waiting now', c.waiting ?? 0],
    ...Object.entries(c.left ?? {}).map(([outcome, n]) => [`left: ${outcome}`, n]),
    ['errors', c.errors ?? 0],
    ['discarded', c.discarded ?? 0],
  ];
  return h(
    'table',
    { class: 'counts', id: 'node-counts' },
    rows.map(([k, n]) => h('tr', { 'data-count': k }, h('th', {}, k), h('td', { class: 'num' }, String(n)))),
  );
}

/** The node's last errors from the report, newest first: time, code, message. */
function recentErrors(list) {
  if (!list?.length) return h('p', { class: 'muted', id: 'recent-errors-none' }, 'No recent errors.');
  return h(
    'ol',
    { class: 'recent-errors', id: 'recent-errors' },
    list.map((e) =>
      h(
        'li',
        { 'data-code': e.code, 'data-at': e.at },
        h('time', { datetime: e.at }, e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
        ' ',
        h('code', {}, e.code),
        h('div', { class: 'error-message' }, e.message),
      ),
    ),
  );
}

function nodePanel(node, report) {
  if (!node) return h('p', { class: 'muted' }, 'Click a node to see its definition.');
  const c = report ? nodeCounts(report)[node.id] : undefined;
  return h(
    'div',
    { id: 'node-panel', 'data-node-id': node.id },
    h('h2', {}, node.title, ' ', h('span', { class: `tag type-${node.type}` }, node.type)),
    c && countsList(c),
    c && h('h3', {}, 'Recent errors'),
    c && recentErrors(c.recentErrors),
    h('pre', { class: 'json' }, JSON.stringify(node.def ?? { entry: true }, null, 2)),
  );
}

export async function renderCanvas(ctx) {
  const { id } = ctx.params;
  const rec = await api('GET', `/v1/journeys/${enc(id)}`);
  const v = pickVersion(rec, ctx.params.version);
  if (!v) return mount(ctx.main, h('p', { class: 'error' }, `journey ${id} has no version ${ctx.params.version}`));
  const graph = journeyGraph(v.journey);
  const laid = layout(graph, { withCounts: ctx.features.report });
  const canvas = h('div', { class: 'canvas' });
  const side = h('aside', { class: 'side' });
  const status = h('p', { class: 'status', role: 'status', id: 'status' });
  let selected;
  let report;

  const draw = () => {
    mount(
      canvas,
      renderGraph(laid, {
        counts: report ? nodeCounts(report) : undefined,
        selected: selected?.id,
        onSelect: (n) => ((selected = n), draw()),
      }),
    );
    mount(side, nodePanel(selected, report));
  };

  const versionSelect = h(
    'select',
    { id: 'version', onchange: (ev) => ctx.go(`#/journeys/${enc(id)}/v/${ev.target.value}`) },
    rec.versions.map((x) =>
      h('option', { value: x.version, selected: x.version === v.version }, `v${x.version} ${x.state}`),
    ),
  );
  const publish = async () => {
    try {
      await api('POST', `/v1/journeys/${enc(id)}/publish`, { version: v.version });
      ctx.reload();
    } catch (err) {
      status.textContent = errorText(err);
      status.className = 'status error';
    }
  };
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'h1',
        {},
        v.journey.name ?? id,
        ' ',
        h('span', { class: `chip state-${v.state}`, id: 'version-state' }, `v${v.version} ${v.state}`),
      ),
      versionSelect,
      h(
        'a',
        { class: 'button', href: `#/journeys/${enc(id)}/edit/${v.version}`, id: 'open-editor' },
        ctx.admin ? 'Edit as new draft' : 'View JSON',
      ),
      ctx.admin &&
        v.state === 'draft' &&
        h('button', { class: 'primary', id: 'publish', onclick: publish }, 'Publish this version'),
    ),
    status,
    h('div', { class: 'split-view' }, canvas, side),
  );
  draw();

  if (ctx.features.report) {
    const refresh = async () => {
      try {
        report = await loadReport(id, v.version);
        status.textContent = `counts as of ${new Date().toLocaleTimeString()}`;
        status.className = 'status muted';
      } catch (err) {
        status.textContent = `report: ${errorText(err)}`;
        status.className = 'status error';
      }
      draw();
    };
    await refresh();
    const t = setInterval(() => void refresh(), REFRESH_MS);
    ctx.onLeave(() => clearInterval(t));
  }
}
