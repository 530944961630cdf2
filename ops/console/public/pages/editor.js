// Journey editor: the JSON beside its canvas. As you type (debounced), the journey is checked by
// POST /v1/journeys/validate and every problem is shown on the node its JSON pointer names and on the line of the
// field; "Save draft" PUTs a new draft version; "Save draft & test" (admin, when the API has test mode) saves the
// JSON as a draft if it changed and runs it in test mode (test-panel.js). Read tokens can look and validate but get
// no save or test button.
import { api, enc } from '../api.js';
import { h, mount, errorText } from '../dom.js';
import { journeyGraph, layout, renderGraph } from '../graph.js';
import { apiProblems, createJsonEditor } from '../json-editor.js';
import { createTestPanel } from '../test-panel.js';

function template(eventId) {
  return {
    id: 'new-journey',
    name: 'New journey',
    namespace: 'email',
    entry: { event: eventId ?? 'signup' },
    start: 'finish',
    nodes: { finish: { type: 'end' } },
  };
}

async function initialJourney(ctx) {
  if (!ctx.params.id) {
    const events = await api('GET', '/v1/events').catch(() => ({ items: [] }));
    return { journey: template(events.items[0]?.id), from: undefined };
  }
  const rec = await api('GET', `/v1/journeys/${enc(ctx.params.id)}`);
  const v = ctx.params.from ? rec.versions.find((x) => x.version === Number(ctx.params.from)) : rec.versions.at(-1);
  if (!v) throw new Error(`journey ${ctx.params.id} has no version ${ctx.params.from}`);
  return { journey: v.journey, from: v };
}

async function validateJourney(parsed) {
  await api('POST', '/v1/journeys/validate', parsed);
  return [];
}

export async function renderEditor(ctx) {
  const { journey, from } = await initialJourney(ctx);
  const status = h('p', { class: 'status', role: 'status', id: 'status' });
  const canvas = h('div', { class: 'canvas', id: 'editor-canvas' });
  const drawCanvas = (parsed, problems) => {
    const byNode = {};
    for (const p of problems) if (p.node) (byNode[p.node] ??= []).push(`${p.code}: ${p.message}`);
    mount(canvas, renderGraph(layout(journeyGraph(parsed)), { problems: byNode }));
  };
  const editor = createJsonEditor({
    value: journey,
    id: 'journey-json',
    validate: validateJourney,
    onResult: ({ parsed, problems }) => drawCanvas(parsed, problems),
  });

  const say = (text, cls = 'muted') => {
    status.textContent = text;
    status.className = `status ${cls}`;
  };
  // the draft as last saved (or opened): testing unchanged JSON does not save another version
  let saved =
    from?.state === 'draft'
      ? { text: JSON.stringify(from.journey), id: ctx.params.id, version: from.version }
      : undefined;
  /** Saves the editor's JSON as a new draft; resolves with `{ id, version }`, or undefined when it could not. */
  const saveDraft = async () => {
    let parsed;
    try {
      parsed = editor.parse();
    } catch (err) {
      say(`not saved: ${err.message}`, 'error');
      return undefined;
    }
    if (saved && saved.text === JSON.stringify(parsed)) return saved;
    try {
      const r = await api('PUT', `/v1/journeys/${enc(parsed.id ?? '')}`, parsed);
      saved = { text: JSON.stringify(parsed), id: r.id, version: r.version };
      say(`saved as v${r.version} draft`, 'ok');
      return saved;
    } catch (err) {
      say(`not saved: ${errorText(err)}`, 'error');
      editor.showProblems(apiProblems(err));
      return undefined;
    }
  };
  const save = async () => {
    const r = await saveDraft();
    if (r) ctx.go(`#/journeys/${enc(r.id)}/v/${r.version}`);
  };
  const testPanel =
    ctx.admin && ctx.features.test
      ? createTestPanel({ journey, saveDraft, onStatus: (text) => say(`${status.textContent} · ${text}`, 'ok') })
      : undefined;

  const title = ctx.params.id
    ? `Edit ${ctx.params.id}${from ? ` (from v${from.version} ${from.state})` : ''}`
    : 'New journey';
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, title),
      editor.verdict,
      ctx.admin && h('button', { class: 'primary', id: 'save-draft', onclick: () => void save() }, 'Save draft'),
      ctx.params.id && h('a', { class: 'button', href: `#/journeys/${enc(ctx.params.id)}` }, 'Back to canvas'),
    ),
    status,
    h('div', { class: 'editor-view' }, editor.element, canvas),
    testPanel?.element,
  );
  drawCanvas(journey, []);
  await editor.check();
}
