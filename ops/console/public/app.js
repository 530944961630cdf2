// Entry point: asks for a token once per tab, learns its role and the API's optional routes, then routes on the
// URL hash (#/journeys, #/journeys/<id>/v/<n>, #/journeys/<id>/edit, #/catalog/<kind>[/<id>], #/profiles[/<key>]).
import { features, session, whoAmI } from './api.js';
import { h, mount, errorText } from './dom.js';
import { renderJourneys } from './pages/journeys.js';
import { renderCanvas } from './pages/canvas.js';
import { renderEditor } from './pages/editor.js';
import { renderCatalog, renderResource } from './pages/catalog.js';
import { renderProfile } from './pages/profile.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let cleanups = [];
let state = { role: undefined, features: undefined };

const ROUTES = [
  [/^#\/journeys\/?$/, () => renderJourneys],
  [/^#\/new-journey$/, () => renderEditor],
  [/^#\/journeys\/([^/]+)\/edit(?:\/(\d+))?$/, () => renderEditor, ['id', 'from']],
  [/^#\/journeys\/([^/]+)(?:\/v\/(\d+))?$/, () => renderCanvas, ['id', 'version']],
  [/^#\/catalog\/(events|actions|datasources)\/?$/, () => renderCatalog, ['kind']],
  [/^#\/catalog\/(events|actions|datasources)\/([^/]+)$/, () => renderResource, ['kind', 'id']],
  [/^#\/profiles(?:\/(.+))?$/, () => renderProfile, ['key']],
];

function resolve(hash) {
  for (const [re, page, names = []] of ROUTES) {
    const m = re.exec(hash);
    if (m)
      return {
        page: page(),
        params: Object.fromEntries(names.map((n, i) => [n, m[i + 1] && decodeURIComponent(m[i + 1])])),
      };
  }
  return undefined;
}

function leave() {
  for (const fn of cleanups) fn();
  cleanups = [];
}

async function route() {
  leave();
  const hash = location.hash || '#/journeys';
  const r = resolve(hash);
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  if (!r) return mount(main, h('p', { class: 'error' }, `No page ${hash}`));
  const ctx = {
    main,
    params: r.params,
    role: state.role,
    admin: state.role === 'admin',
    features: state.features,
    onLeave: (fn) => cleanups.push(fn),
    go: (to) => (location.hash = to),
    reload: () => void route(),
  };
  try {
    await r.page(ctx);
  } catch (err) {
    if (err && err.status === 401) return logout('The token is no longer accepted.');
    mount(main, h('p', { class: 'error', role: 'alert' }, errorText(err)));
  }
}

function logout(message) {
  session.clear();
  state.role = undefined;
  leave();
  showLogin(message);
}

function showLogin(message) {
  nav.hidden = true;
  mount(who);
  const input = h('input', {
    type: 'password',
    id: 'token',
    name: 'token',
    autocomplete: 'off',
    required: true,
    placeholder: 'bearer token',
  });
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'login',
      id: 'login',
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const role = await whoAmI(input.value.trim());
          session.save(input.value.trim());
          await start(role);
        } catch (err) {
          error.textContent = err && err.status === 401 ? 'That token is not accepted by this API.' : errorText(err);
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste an API token (admin or read). It is kept in this tab only.'),
    input,
    h('button', { type: 'submit' }, 'Open console'),
    error,
  );
  mount(main, form);
  input.focus();
}

async function start(role) {
  state = { role, features: await features() };
  nav.hidden = false;
  nav.querySelector('[data-nav="profiles"]').hidden = !state.features.profiles;
  mount(
    who,
    h('span', { class: `role role-${role}`, id: 'role' }, role),
    h('button', { class: 'link', id: 'logout', onclick: () => logout() }, 'sign out'),
  );
  window.onhashchange = () => void route();
  await route();
}

async function boot() {
  const token = session.token();
  if (!token) return showLogin();
  try {
    await start(await whoAmI(token));
  } catch (err) {
    logout(err && err.status === 401 ? undefined : errorText(err));
  }
}

void boot();
