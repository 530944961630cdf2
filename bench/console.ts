/**
 * `npm run bench -- console`: what the web console costs a browser. Sums the JavaScript, CSS and HTML the console
 * serves (raw and gzipped, as the API sends them), then opens /console in headless Chromium (Debian's, through
 * playwright-core) with a cold cache several times and reports the median first paint, first contentful paint and
 * the time until the sign-in form is in the page, from the browser's Performance API. The console runs on a bare
 * fastify app here (the API's routes are not needed to paint the sign-in page).
 */
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { registerConsole } from '../ops/console/index.js';
import { launchChromium } from '../ops/testing/index.js';
import type { BenchContext, BenchRow } from './types.js';

const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const app = Fastify();
  registerConsole(app, { roleOf: () => undefined });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const sizes = { js: 0, jsGz: 0, other: 0, otherGz: 0 };
    const paints: Record<'fp' | 'fcp' | 'form', number[]> = { fp: [], fcp: [], form: [] };
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      if (i === 0)
        page.on('response', (res) => {
          void res.body().then((body) => {
            const js = /javascript/.test(res.headers()['content-type'] ?? '');
            sizes[js ? 'js' : 'other'] += body.length;
            sizes[js ? 'jsGz' : 'otherGz'] += gzipSync(body, { level: 6 }).length;
          });
        });
      await page.goto(`${base}/console/`, { waitUntil: 'load' });
      await page.waitForSelector('#login');
      const t = await page.evaluate<{ fp: number; fcp: number; form: number }>(`(() => {
        const p = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
        return { fp: p['first-paint'], fcp: p['first-contentful-paint'], form: performance.now() };
      })()`);
      paints.fp.push(t.fp);
      paints.fcp.push(t.fcp);
      paints.form.push(t.form);
      await context.close();
      ctx.log(`run ${i + 1}: first paint ${t.fp.toFixed(0)} ms, FCP ${t.fcp.toFixed(0)} ms`);
    }
    return [
      { metric: 'console JS (all modules + dagre)', value: sizes.js / 1024, unit: 'KiB raw' },
      { metric: 'console JS gzipped', value: sizes.jsGz / 1024, unit: 'KiB', target: '< 300' },
      { metric: 'console HTML + CSS gzipped', value: sizes.otherGz / 1024, unit: 'KiB' },
      { metric: 'first paint (cold, median)', value: median(paints.fp), unit: 'ms', note: `${RUNS} runs` },
      { metric: 'first contentful paint (cold, median)', value: median(paints.fcp), unit: 'ms', target: '< 1000' },
      { metric: 'sign-in form ready (cold, median)', value: median(paints.form), unit: 'ms' },
    ];
  } finally {
    await browser.close();
    await app.close();
  }
}
