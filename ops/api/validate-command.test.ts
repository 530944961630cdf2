import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFixtures } from '../../schemas/testing/index.js';
import { validateCommand } from './validate-command.js';
import { policyFromEnv } from '../engine-config.js';

const { cartEvent, purchaseEvent, loyaltyDatasource, emailAction, smsAction, cartJourney } = configFixtures;
const dir = mkdtempSync(join(tmpdir(), 'jo-validate-'));
function file(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

describe('jo validate', () => {
  it('validates files together: a journey resolves references against the resources beside it', () => {
    const files = [
      file('e1.json', cartEvent),
      file('e2.json', purchaseEvent),
      file('ds.json', loyaltyDatasource),
      file('a1.json', emailAction),
      file('a2.json', smsAction),
      file('j.json', cartJourney),
    ];
    const out = validateCommand(files);
    expect(out.code).toBe(0);
    expect(out.lines).toHaveLength(6);
    expect(out.lines.at(-1)).toMatch(/j\.json OK \(journey cartRecovery\)$/);
  });

  it('alone, the journey lacks its references (exit 2) unless --no-refs', () => {
    const j = file('j2.json', cartJourney);
    const out = validateCommand([j]);
    expect(out.code).toBe(2);
    expect(out.lines).toContain(`${j} /entry/event REF_UNKNOWN_EVENT no event "cartAbandoned"`);
    expect(validateCommand(['--no-refs', j]).code).toBe(0);
  });

  it('reports bad JSON, unknown kinds, literal secrets and unreadable files, one line each', () => {
    const bad = file('bad.json', '{"id":');
    const odd = file('odd.json', { id: 'x' });
    const secret = file('s.json', { ...loyaltyDatasource, auth: { type: 'bearer', token: 'plain' } });
    const out = validateCommand(['--kind', 'datasource', secret, bad, join(dir, 'missing.json')]);
    expect(out.code).toBe(2);
    expect(out.lines.map((l) => l.split(' ')[2])).toEqual(['BODY_INVALID_JSON', 'FILE_UNREADABLE', 'SECRET_LITERAL']);
    expect(validateCommand([odd]).lines[0]).toContain('KIND_UNKNOWN');
    expect(validateCommand(['--kind', 'widget', odd]).code).toBe(2);
    expect(validateCommand([]).lines[0]).toMatch(/^usage/);
  });

  it('checks a resource set file (the sample journey) with references resolved inside it', () => {
    const sample = fileURLToPath(new URL('../sample/resources.json', import.meta.url));
    const ok = validateCommand([sample]);
    expect(ok.code).toBe(0);
    expect(ok.lines.at(-1)).toMatch(/#\/journeys\/0 OK \(journey welcome\)$/);
    const set = JSON.parse(readFileSync(sample, 'utf8')) as { actions: unknown[] };
    const broken = file('set.json', { ...set, actions: [] });
    const out = validateCommand([broken]);
    expect(out.code).toBe(2);
    expect(out.lines.join('\n')).toMatch(/#\/journeys\/0 \/nodes\/send-welcome\/action REF_UNKNOWN_ACTION/);
  });

  it('applies the outbound and secret policies of the environment, as the API does', () => {
    const policy = policyFromEnv({}); // defaults: public addresses only, {env} only with JO_SECRET_
    const metadata = file('ds-metadata.json', { ...loyaltyDatasource, id: 'meta', url: 'http://169.254.169.254/x' });
    const secret = file('a-secret.json', {
      ...emailAction,
      id: 'leak',
      url: 'https://api.example.com/send',
      auth: { type: 'bearer', token: { env: 'AWS_SECRET_ACCESS_KEY' } },
    });
    const out = validateCommand([metadata, secret], policy);
    expect(out.code).toBe(2);
    expect(out.lines.find((l) => l.startsWith(metadata))).toMatch(/ \/url URL_NOT_ALLOWED /);
    expect(out.lines.find((l) => l.startsWith(secret))).toMatch(/SECRET_REF_NOT_ALLOWED/);
    // allowed explicitly, the same data source is fine
    expect(validateCommand([metadata], policyFromEnv({ JO_OUTBOUND_ALLOW: '169.254.169.254' })).code).toBe(0);
  });
});
