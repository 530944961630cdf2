// A journey version as a graph: nodes and labelled edges taken from the journey JSON, laid out by dagre, drawn as
// SVG with one shape and colour per node type. Problems (validation errors by node) and live counts are overlays.
import dagre from './vendor/dagre.js';
import { s } from './dom.js';

const SIZE = { width: 176, height: 58 };
const COUNT_LINE = 16;

function short(rule, max = 26) {
  const t = typeof rule === 'string' ? rule : (JSON.stringify(rule) ?? '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function subtitle(n) {
  switch (n?.type) {
    case 'action':
      return `action ${n.action ?? '?'}`;
    case 'wait':
      return n.duration ? `wait ${n.duration}` : 'wait until…';
    case 'event':
      return `await ${(n.events ?? []).map((e) => e.event).join(', ')}${n.timeout ? ` ≤ ${n.timeout}` : ''}`;
    case 'condition':
      return `condition (${(n.paths ?? []).length} paths)`;
    case 'split':
      return `split (${(n.paths ?? []).length} ways)`;
    case 'end':
      return 'end';
    default:
      return String(n?.type ?? 'unknown');
  }
}

/** Edges leaving one node: `{ to, label, kind }` (kind: next, path, otherwise, error, timeout, split, event). */
function outEdges(n) {
  const e = [];
  const add = (to, label, kind) => typeof to === 'string' && e.push({ to, label, kind });
  if (!n || typeof n !== 'object') return e;
  if (n.type === 'condition') {
    (n.paths ?? []).forEach((p, i) => add(p?.next, `${i + 1}: ${short(p?.when)}`, 'path'));
    add(n.otherwise, 'otherwise', 'otherwise');
  } else if (n.type === 'split') {
    const total = (n.paths ?? []).reduce((a, p) => a + (Number(p?.weight) > 0 ? Number(p.weight) : 0), 0);
    (n.paths ?? []).forEach((p) =>
      add(p?.next, `${p?.weight}${total > 0 ? ` (${Math.round((100 * p.weight) / total)}%)` : ''}`, 'split'),
    );
  } else if (n.type === 'event') {
    (n.events ?? []).forEach((ev) => add(ev?.next, short(ev?.event, 20) + (ev?.condition ? ' if…' : ''), 'event'));
    add(n.onTimeout, `onTimeout${n.timeout ? ` ${n.timeout}` : ''}`, 'timeout');
  } else {
    add(n.next, '', 'next');
    add(n.onError, 'onError', 'error');
  }
  return e;
}

/** Nodes and edges of a journey (tolerates half-written journeys: unknown targets become `missing` nodes). */
export function journeyGraph(journey) {
  const defs = journey && typeof journey.nodes === 'object' && journey.nodes ? journey.nodes : {};
  const nodes = [
    {
      id: '@entry',
      type: 'entry',
      title: 'entry',
      sub: journey?.entry?.audience
        ? `audience, ${journey.entry.schedule ?? '?'}`
        : `on ${journey?.entry?.event ?? '?'}${journey?.entry?.condition ? ' if…' : ''}`,
    },
  ];
  const edges = [];
  for (const [id, n] of Object.entries(defs))
    nodes.push({ id, type: n?.type ?? 'unknown', title: id, sub: subtitle(n), def: n });
  if (typeof journey?.start === 'string') edges.push({ from: '@entry', to: journey.start, label: '', kind: 'next' });
  for (const [id, n] of Object.entries(defs)) for (const e of outEdges(n)) edges.push({ from: id, ...e });
  const known = new Set(nodes.map((n) => n.id));
  for (const e of edges)
    if (!known.has(e.to)) {
      known.add(e.to);
      nodes.push({ id: e.to, type: 'missing', title: e.to, sub: 'no such node' });
    }
  return { nodes, edges };
}

/** Runs dagre on the graph; returns positioned nodes, edges with points, and the drawing's size. */
export function layout(graph, { withCounts = false } = {}) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 36, ranksep: 56, edgesep: 16, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const height = SIZE.height + (withCounts ? COUNT_LINE : 0);
  for (const n of graph.nodes)
    g.setNode(n.id, { width: n.type === 'condition' ? SIZE.width + 24 : SIZE.width, height });
  graph.edges.forEach((e, i) => {
    const w = e.label ? Math.min(200, 7 * e.label.length + 10) : 0;
    g.setEdge(e.from, e.to, { width: w, height: e.label ? 18 : 0, labelpos: 'c' }, `e${i}`);
  });
  dagre.layout(g);
  const nodes = graph.nodes.map((n) => ({ ...n, ...pick(g.node(n.id)) }));
  const edges = graph.edges.map((e, i) => ({ ...e, ...g.edge(e.from, e.to, `e${i}`) }));
  const { width, height: h } = g.graph();
  return { nodes, edges, width, height: h };
}

const pick = (o) => ({ x: o.x, y: o.y, width: o.width, height: o.height });

function shape(n) {
  const { x, y, width: w } = n;
  const hgt = SIZE.height;
  const top = y - n.height / 2;
  const cy = top + hgt / 2;
  switch (n.type) {
    case 'condition':
      return s('polygon', {
        class: 'shape',
        points: `${x},${top} ${x + w / 2},${cy} ${x},${top + hgt} ${x - w / 2},${cy}`,
      });
    case 'split': {
      const d = 16;
      return s('polygon', {
        class: 'shape',
        points: `${x - w / 2 + d},${top} ${x + w / 2 - d},${top} ${x + w / 2},${cy} ${x + w / 2 - d},${top + hgt} ${x - w / 2 + d},${top + hgt} ${x - w / 2},${cy}`,
      });
    }
    case 'wait':
      return s('ellipse', { class: 'shape', cx: x, cy, rx: w / 2, ry: hgt / 2 });
    case 'end':
    case 'entry':
      return s('rect', { class: 'shape', x: x - w / 2, y: top, width: w, height: hgt, rx: hgt / 2 });
    case 'event':
      return s('polygon', {
        class: 'shape',
        points: `${x - w / 2 + 12},${top} ${x + w / 2},${top} ${x + w / 2 - 12},${top + hgt} ${x - w / 2},${top + hgt}`,
      });
    default:
      return s('rect', { class: 'shape', x: x - w / 2, y: top, width: w, height: hgt, rx: 6 });
  }
}

function edgePath(points) {
  const [first, ...rest] = points;
  return `M${first.x},${first.y} ` + rest.map((p) => `L${p.x},${p.y}`).join(' ');
}

/**
 * Draws a laid-out graph. `opts.problems`: node id → messages (red outline, "!" badge); `opts.counts`: node id →
 * `{ waiting, passed, errors }`; `opts.onSelect(node)` on click; `opts.selected`: node id.
 */
export function renderGraph(laid, opts = {}) {
  const defs = s(
    'defs',
    {},
    ['next', 'error', 'timeout'].map((k) =>
      s(
        'marker',
        {
          id: `arrow-${k}`,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead arrowhead-${k}` }),
      ),
    ),
  );
  const edges = laid.edges.map((e) => {
    const marker = e.kind === 'error' ? 'error' : e.kind === 'timeout' ? 'timeout' : 'next';
    return s(
      'g',
      { class: `edge edge-${e.kind}`, 'data-from': e.from, 'data-to': e.to },
      s('path', { d: edgePath(e.points), 'marker-end': `url(#arrow-${marker})` }),
      e.label &&
        s('rect', { class: 'edge-label-bg', x: e.x - e.width / 2, y: e.y - 9, width: e.width, height: 18, rx: 3 }),
      e.label && s('text', { class: 'edge-label', x: e.x, y: e.y + 4, 'text-anchor': 'middle' }, e.label),
    );
  });
  const nodes = laid.nodes.map((n) => drawNode(n, opts));
  return s(
    'svg',
    {
      class: 'graph',
      id: 'graph',
      viewBox: `0 0 ${laid.width} ${laid.height}`,
      width: laid.width,
      height: laid.height,
      role: 'img',
      'aria-label': 'journey graph',
    },
    defs,
    s('g', {}, edges),
    s('g', {}, nodes),
  );
}

function drawNode(n, opts) {
  const problems = opts.problems?.[n.id] ?? [];
  const c = opts.counts?.[n.id];
  const top = n.y - n.height / 2;
  const cls = ['node', `type-${n.type}`, problems.length && 'has-problem', opts.selected === n.id && 'selected']
    .filter(Boolean)
    .join(' ');
  return s(
    'g',
    {
      class: cls,
      'data-node-id': n.id,
      'data-node-type': n.type,
      'data-problems': problems.length || undefined,
      tabindex: 0,
      onclick: () => opts.onSelect?.(n),
      onkeydown: (ev) => ev.key === 'Enter' && opts.onSelect?.(n),
    },
    s('title', {}, [n.title, n.sub, ...problems].join('\n')),
    shape(n),
    s(
      'text',
      { class: 'node-title', x: n.x, y: top + 24, 'text-anchor': 'middle' },
      n.title.length > 22 ? `${n.title.slice(0, 21)}…` : n.title,
    ),
    s(
      'text',
      { class: 'node-sub', x: n.x, y: top + 41, 'text-anchor': 'middle' },
      n.sub.length > 28 ? `${n.sub.slice(0, 27)}…` : n.sub,
    ),
    c &&
      s(
        'text',
        {
          class: 'node-counts',
          x: n.x,
          y: top + SIZE.height + 13,
          'text-anchor': 'middle',
          'data-waiting': c.waiting ?? 0,
          'data-passed': c.passed ?? 0,
          'data-errors': c.errors ?? 0,
        },
        `wait ${c.waiting ?? 0} · ✓ ${c.passed ?? 0} · ✗ ${c.errors ?? 0}`,
      ),
    problems.length &&
      s(
        'g',
        { class: 'badge' },
        s('circle', { cx: n.x + n.width / 2 - 4, cy: top + 4, r: 9 }),
        s('text', { x: n.x + n.width / 2 - 4, y: top + 8, 'text-anchor': 'middle' }, '!'),
      ),
  );
}
