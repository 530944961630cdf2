// Journey editor (work in progress).
import { h, mount } from '../dom.js';
export async function renderEditor(ctx) {
  mount(ctx.main, h('p', { class: 'muted' }, 'The journey editor is not built yet.'));
}
