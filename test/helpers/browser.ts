import { existsSync } from 'node:fs';

/** Debian's Chromium, which playwright-core drives (no downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

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
