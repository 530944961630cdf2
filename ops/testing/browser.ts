/**
 * Headless Chromium for browser tests: Debian's `chromium` package (installed by .ci/run when missing) driven by
 * playwright-core, which downloads no browser of its own. `JO_CHROMIUM` names another executable.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/** The Chromium executable to drive; throws (the test fails, it is not skipped) when there is none. */
export function chromiumPath(): string {
  const found = [process.env['JO_CHROMIUM'], ...CANDIDATES].find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error('no Chromium found: apt-get install -y chromium (or set JO_CHROMIUM)');
  return found;
}

/** Launches headless Chromium; close it in afterAll. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
