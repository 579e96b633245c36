import { describe, expect, it, vi } from 'vitest';
import { hasBrowser } from '../helpers/browser.ts';

describe('the browser-test gate', () => {
  const missing = '/nonexistent/chromium';

  it('skips with one line saying how to enable the tests when Chromium is missing', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(hasBrowser('the browser tests', missing, {})).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/^skipped the browser tests: no Chromium at \/nonexistent\/chromium \(to run them: apt-get install chromium fonts-noto-cjk\)$/);
    warn.mockRestore();
  });

  it('fails instead when REQUIRE_BROWSER=1 (CI)', () => {
    expect(() => hasBrowser('the browser tests', missing, { REQUIRE_BROWSER: '1' })).toThrow(/^REQUIRE_BROWSER=1 but there is no Chromium/);
  });

  it('runs them when Chromium is there', () => {
    expect(hasBrowser('the browser tests', process.execPath, { REQUIRE_BROWSER: '1' })).toBe(true);
  });
});
