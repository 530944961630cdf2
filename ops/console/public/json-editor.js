// A JSON text area with line numbers and inline validation: as the user types (debounced), the text is parsed and
// handed to `validate`, whose problems (`{ pointer, code, message }`, as the API's 400 bodies list them) are marked
// on the lines their pointers name and listed below; `onResult` lets the page mark them elsewhere (the canvas).
import { debounce, h, mount, errorText } from './dom.js';
import { lineOf, nodeOf, pointerOffsets, syntaxErrorOffset } from './json-pointer.js';

const DEBOUNCE_MS = 350;

function lineAt(text, offset) {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** Problems of a failed API call: the 400 body's list, or one problem for anything else. */
export function apiProblems(err) {
  if (err?.status === 400 && Array.isArray(err.body?.errors)) return err.body.errors;
  return [{ pointer: '', code: err?.body?.code ?? 'ERROR', message: errorText(err) }];
}

export function createJsonEditor({ value, validate, onResult = () => {}, readOnly = false, id = 'json' }) {
  const textarea = h('textarea', { id, spellcheck: 'false', 'aria-label': 'JSON', readonly: readOnly });
  textarea.value = JSON.stringify(value, null, 2);
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const list = h('ul', { class: 'problems', id: 'problems' });
  const verdict = h('span', { id: 'verdict' });
  let badLines = new Map();
  let seq = 0;
  let lastGood = value;

  const drawGutter = () => {
    const n = textarea.value.split('\n').length;
    const out = [];
    for (let i = 1; i <= n; i++) {
      const bad = badLines.get(i);
      out.push(bad ? h('span', { class: 'bad', title: bad.join('\n'), 'data-line': i }, String(i)) : String(i), '\n');
    }
    mount(gutter, out);
    gutter.scrollTop = textarea.scrollTop;
  };

  const selectLine = (line) => {
    const lines = textarea.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    textarea.scrollTop = Math.max(0, (line - 5) * 18);
  };

  /** Shows problems; pointers are resolved against `text` when it parsed. */
  const show = (problems, text, parsed) => {
    const offsets = parsed === undefined ? undefined : pointerOffsets(text);
    const shown = problems.map((p) => ({
      ...p,
      node: nodeOf(p.pointer ?? ''),
      line: offsets ? lineOf(text, offsets, p.pointer ?? '') : p.line,
    }));
    badLines = new Map();
    for (const p of shown)
      if (p.line) badLines.set(p.line, [...(badLines.get(p.line) ?? []), `${p.code}: ${p.message}`]);
    mount(
      list,
      shown.map((p) =>
        h(
          'li',
          {
            'data-pointer': p.pointer,
            'data-code': p.code,
            'data-node': p.node,
            onclick: () => p.line && selectLine(p.line),
          },
          h('code', {}, p.pointer || '/'),
          ' ',
          h('strong', {}, p.code),
          ' ',
          p.message,
          p.line ? h('span', { class: 'muted' }, ` (line ${p.line})`) : '',
        ),
      ),
    );
    verdict.textContent = shown.length ? `${shown.length} problem${shown.length > 1 ? 's' : ''}` : 'valid';
    verdict.className = shown.length ? 'error' : 'valid';
    drawGutter();
    onResult({ parsed: lastGood, problems: shown });
  };

  const check = async () => {
    const mine = ++seq;
    const text = textarea.value;
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const off = syntaxErrorOffset(err, text);
      const line = off === undefined ? undefined : lineAt(text, off);
      return show([{ pointer: '', code: 'JSON_SYNTAX', message: err.message, line }], text, undefined);
    }
    lastGood = parsed;
    let problems;
    try {
      problems = await validate(parsed);
    } catch (err) {
      problems = apiProblems(err);
    }
    if (mine === seq) show(problems, text, parsed);
  };

  textarea.addEventListener('input', () => {
    drawGutter();
    verdict.textContent = 'checking…';
    verdict.className = 'muted';
  });
  textarea.addEventListener(
    'input',
    debounce(() => void check(), DEBOUNCE_MS),
  );
  textarea.addEventListener('scroll', () => (gutter.scrollTop = textarea.scrollTop));
  drawGutter();

  return {
    element: h('div', {}, h('div', { class: 'code' }, gutter, textarea), list),
    verdict,
    check,
    /** The text parsed, or throws SyntaxError. */
    parse: () => JSON.parse(textarea.value),
    showProblems: (problems) => {
      let parsed;
      try {
        parsed = JSON.parse(textarea.value);
      } catch {
        parsed = undefined;
      }
      show(problems, textarea.value, parsed);
    },
  };
}
