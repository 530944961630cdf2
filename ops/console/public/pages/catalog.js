// Catalogs (work in progress).
import { h, mount } from '../dom.js';
export async function renderCatalog(ctx) {
  mount(ctx.main, h('p', { class: 'muted' }, 'The catalog pages are not built yet.'));
}
export async function renderResource(ctx) {
  mount(ctx.main, h('p', { class: 'muted' }, 'The catalog pages are not built yet.'));
}
