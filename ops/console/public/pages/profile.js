// Profile lookup: where one profile stands in every journey (GET /v1/profiles/:key). Shown only when the API has
// that route; until then the page says so instead of guessing.
import { api, enc } from '../api.js';
import { h, mount, errorText } from '../dom.js';

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
    { class: 'inline', onsubmit: (ev) => (ev.preventDefault(), ctx.go(`#/profiles/${enc(input.value.trim())}`)) },
    input,
    h('button', { type: 'submit' }, 'Look up'),
  );
  mount(ctx.main, h('h1', {}, 'Profile lookup'), form, out);
  if (!ctx.params.key) return;
  try {
    const r = await api('GET', `/v1/profiles/${enc(ctx.params.key)}`);
    mount(out, h('pre', { class: 'json' }, JSON.stringify(r, null, 2)));
  } catch (err) {
    mount(out, h('p', { class: 'error' }, errorText(err)));
  }
}
