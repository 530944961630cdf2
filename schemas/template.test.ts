import { describe, expect, it } from 'vitest';
import { readPath, renderTemplate, templatePaths } from './template.js';

describe('templates', () => {
  const data = { profile: { name: 'Zoë & Co', tags: ['a', 'b'] }, params: { n: 3 } };

  it('renders dotted paths, URL-encoded or as JSON literals', () => {
    expect(renderTemplate('/u/{{profile.name}}?n={{params.n}}', data, 'url')).toBe('/u/Zo%C3%AB%20%26%20Co?n=3');
    expect(renderTemplate('{"n": {{params.n}}, "t": {{profile.tags}}, "x": {{nope}}}', data, 'json')).toBe(
      '{"n": 3, "t": ["a","b"], "x": null}',
    );
    expect(renderTemplate('hi {{ profile.tags[1] }}', data)).toBe('hi b');
  });

  it('refuses prototype keys and ignores inherited properties', () => {
    expect(() => renderTemplate('{{profile.__proto__}}', data)).toThrow(/forbidden key/);
    expect(() => readPath(data, 'profile.constructor')).toThrow(/forbidden key/);
    expect(readPath(data, 'profile.toString')).toBeUndefined();
  });

  it('lists the paths a template uses', () => {
    expect(templatePaths('{{a.b}}/{{ c }}')).toEqual(['a.b', 'c']);
  });
});
