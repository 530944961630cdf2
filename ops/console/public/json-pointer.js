// Where each JSON pointer's value starts in a JSON text, so a problem reported by the API at `/nodes/x/next` can be
// shown on the line the user wrote it. Only called on text that JSON.parse accepted.
const escape = (k) => k.replaceAll('~', '~0').replaceAll('/', '~1');

/** Map of pointer → offset (of the property's key for members, of the value for array items and the root). */
export function pointerOffsets(text) {
  const at = new Map();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const str = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (ptr, from) => {
    ws();
    at.set(ptr, from ?? i);
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      ws();
      let n = 0;
      while (text[i] !== '}' && text[i] !== ']') {
        ws();
        if (c === '{') {
          const keyAt = i;
          const key = str();
          ws();
          i++; // ':'
          value(`${ptr}/${escape(key)}`, keyAt);
        } else value(`${ptr}/${n++}`);
        ws();
        if (text[i] === ',') i++;
      }
      i++;
    } else if (c === '"') str();
    else while (i < text.length && !',]} \t\r\n'.includes(text[i])) i++;
  };
  value('');
  return at;
}

/** The 1-based line of the deepest existing prefix of `pointer` (problems may name a missing member). */
export function lineOf(text, offsets, pointer) {
  let p = pointer;
  while (!offsets.has(p) && p !== '') p = p.slice(0, p.lastIndexOf('/'));
  const off = offsets.get(p) ?? 0;
  let line = 1;
  for (let k = 0; k < off; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** The node a pointer is about (`/nodes/<id>/…` → id, `/start` → the start node), or undefined. */
export function nodeOf(pointer, journey) {
  const m = /^\/nodes\/([^/]+)/.exec(pointer);
  if (m) return m[1].replaceAll('~1', '/').replaceAll('~0', '~');
  if (pointer === '/start' || pointer.startsWith('/entry')) return '@entry';
  return undefined;
}

/** Offset of a JSON.parse syntax error, when the engine's message gives one. */
export function syntaxErrorOffset(err, text) {
  const pos = /position (\d+)/.exec(String(err?.message));
  if (pos) return Number(pos[1]);
  const lc = /line (\d+) column (\d+)/.exec(String(err?.message));
  if (!lc) return undefined;
  const lines = text.split('\n');
  return lines.slice(0, Number(lc[1]) - 1).reduce((a, l) => a + l.length + 1, 0) + Number(lc[2]) - 1;
}
