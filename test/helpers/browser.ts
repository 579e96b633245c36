import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, which playwright-core drives (no downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches CHROMIUM headless, without the network chatter (updates, sync, QUIC) a test has no use for. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Whether browser tests can run on this machine. Without Chromium they are skipped with one
 * line saying how to enable them — unless REQUIRE_BROWSER=1 (set by .ci/run), where a missing
 * browser must fail the run instead of quietly testing less.
 */
export function hasBrowser(what: string, chromium = CHROMIUM, env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(chromium)) return true;
  const enable = 'apt-get install chromium fonts-noto-cjk';
  if (env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${chromium} for ${what}: ${enable}`);
  console.warn(`skipped ${what}: no Chromium at ${chromium} (to run them: ${enable})`);
  return false;
}
