// Every spec's `test`: the same as Playwright's, and afterwards
// - it fails the test if any page it watched (see `watch` in helpers)
//   reported a Content Security Policy violation or an uncaught error (a wasm
//   panic shows as one);
// - it closes every browser context the test opened. Playwright closes only
//   the contexts of its own `page`/`context` fixtures; one made with
//   `browser.newContext()` (each person of a multi-person spec) would stay
//   open for the rest of the worker's run — a live chat page with its socket,
//   presence and timers — and every later spec would share the cores with
//   all of them.
import { expect, test as base } from '@playwright/test';
import { takeProblems } from './helpers';

export { expect };
export type { Browser, Page } from '@playwright/test';

export const test = base.extend<{ isolated: void }>({
  isolated: [
    async ({ browser }, use) => {
      takeProblems();
      const before = new Set(browser.contexts());
      try {
        await use();
        expect(takeProblems(), 'CSP violations or uncaught errors in the page').toEqual([]);
      } finally {
        await Promise.all(browser.contexts().filter((c) => !before.has(c)).map((c) => c.close()));
      }
    },
    { auto: true },
  ],
});
