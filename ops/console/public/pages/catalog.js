// Catalogs of events, actions and data sources: a list per kind, and one resource's JSON with the same inline
// validation as the journey editor (POST /v1/<kind>/validate, debounced as you type). Admins save with PUT and
// delete with DELETE (the API refuses deleting what a live journey uses); read tokens only look.
import { api, enc } from '../api.js';
import { h, mount, errorText } from '../dom.js';
import { apiProblems, createJsonEditor } from '../json-editor.js';

const KINDS = {
  events: { title: 'Events', one: 'event', summary: (r) => recognition(r) },
  actions: {
    title: 'Actions',
    one: 'action',
    summary: (r) => `${r.type ?? ''} ${r.method ?? ''} ${r.url ?? r.channel ?? ''}`,
  },
  datasources: {
    title: 'Data sources',
    one: 'data source',
    summary: (r) => `${r.type ?? ''} ${r.method ?? ''} ${r.url ?? ''}`,
  },
};

function recognition(r) {
  const rec = r.recognition ?? {};
  if (rec.eventType) return `eventType = ${rec.eventType}`;
  if (rec.eventID) return `eventID = ${rec.eventID}`;
  return rec.rule ? 'rule' : '';
}

const TEMPLATES = {
  events: {
    id: 'new-event',
    name: 'New event',
    recognition: { eventType: 'my.event' },
    identity: { namespace: 'email', path: 'person.email' },
  },
  actions: {
    id: 'new-action',
    name: 'New action',
    type: 'http',
    url: 'http://127.0.0.1:8090/hook',
    method: 'POST',
    timeoutMs: 5000,
  },
  datasources: {
    id: 'new-source',
    name: 'New data source',
    type: 'http',
    url: 'http://127.0.0.1:8090/lookup',
    method: 'GET',
  },
};

export async function renderCatalog(ctx) {
  const { kind } = ctx.params;
  const k = KINDS[kind];
  const { items } = await api('GET', `/v1/${kind}`);
  const rows = items.map((r) =>
    h(
      'tr',
      { 'data-resource': r.id },
      h('td', {}, h('a', { href: `#/catalog/${kind}/${enc(r.id)}` }, r.id)),
      h('td', {}, r.name ?? ''),
      h('td', { class: 'muted' }, k.summary(r)),
    ),
  );
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, k.title),
      ctx.admin &&
        h('a', { class: 'button primary', id: 'new-resource', href: `#/catalog/${kind}/+new` }, `New ${k.one}`),
    ),
    h(
      'table',
      { class: 'list', id: 'catalog' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Id'), h('th', {}, 'Name'), h('th', {}, ''))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, `No ${kind} yet.`))),
    ),
  );
}

export async function renderResource(ctx) {
  const { kind, id } = ctx.params;
  const k = KINDS[kind];
  const isNew = id === '+new';
  const value = isNew ? TEMPLATES[kind] : await api('GET', `/v1/${kind}/${enc(id)}`);
  const status = h('p', { class: 'status', role: 'status', id: 'status' });
  const canValidate = ctx.features.resourceValidate;
  const editor = createJsonEditor({
    value,
    id: 'resource-json',
    readOnly: !ctx.admin,
    validate: async (parsed) => (canValidate ? (await api('POST', `/v1/${kind}/validate`, parsed), []) : []),
  });
  const say = (text, ok) => {
    status.textContent = text;
    status.className = `status ${ok ? 'ok' : 'error'}`;
  };
  const save = async () => {
    let parsed;
    try {
      parsed = editor.parse();
    } catch (err) {
      return say(`not saved: ${err.message}`, false);
    }
    try {
      await api('PUT', `/v1/${kind}/${enc(parsed.id ?? '')}`, parsed);
      say(`saved ${k.one} ${parsed.id}`, true);
      if (isNew || parsed.id !== id) ctx.go(`#/catalog/${kind}/${enc(parsed.id)}`);
    } catch (err) {
      say(`not saved: ${errorText(err)}`, false);
      editor.showProblems(apiProblems(err));
    }
  };
  const remove = async () => {
    if (!confirm(`Delete ${k.one} "${id}"?`)) return;
    try {
      await api('DELETE', `/v1/${kind}/${enc(id)}`);
      ctx.go(`#/catalog/${kind}`);
    } catch (err) {
      say(`not deleted: ${errorText(err)}`, false);
    }
  };
  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, isNew ? `New ${k.one}` : `${k.one} ${id}`),
      editor.verdict,
      ctx.admin && h('button', { class: 'primary', id: 'save-resource', onclick: () => void save() }, 'Save'),
      ctx.admin && !isNew && h('button', { id: 'delete-resource', onclick: () => void remove() }, 'Delete'),
      h('a', { class: 'button', href: `#/catalog/${kind}` }, `All ${k.title.toLowerCase()}`),
    ),
    status,
    h('div', { class: 'resource-view' }, editor.element),
  );
  await editor.check();
}
