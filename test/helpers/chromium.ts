/**
 * Headless Chromium for the report test: Debian's `chromium` driven by playwright-core (which never
 * downloads a browser). Missing, the browser tests are skipped loudly, unless JL_EDGE_REQUIRE_CHROMIUM=1
 * (CI), where launching fails the suite instead.
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

const EXECUTABLE = '/usr/bin/chromium';

function computeSkip(): string | false {
  if (existsSync(EXECUTABLE) || process.env.JL_EDGE_REQUIRE_CHROMIUM === '1') return false;
  const reason = `${EXECUTABLE} not installed: apt-get install -y --no-install-recommends chromium`;
  process.stderr.write(
    `\n*** browser tests SKIPPED: ${reason} (set JL_EDGE_REQUIRE_CHROMIUM=1 to fail instead) ***\n\n`,
  );
  return reason;
}

/** Pass as `{ skip: chromiumSkip }` to `describe`/`it`. */
export const chromiumSkip: string | false = computeSkip();

/** A browser with a fresh profile in `profileDir`; as root it needs --no-sandbox. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: 60_000,
  });
}
