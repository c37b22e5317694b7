// Every spec's `test`: the same as Playwright's, and afterwards it fails the
// test if any page it watched (see `watch` in helpers) reported a Content
// Security Policy violation or an uncaught error (a wasm panic shows as one).
import { expect, test as base } from '@playwright/test';
import { takeProblems } from './helpers';

export { expect };
export type { Browser, Page } from '@playwright/test';

export const test = base.extend<{ noPageProblems: void }>({
  noPageProblems: [
    async ({}, use) => {
      takeProblems();
      await use();
      expect(takeProblems(), 'CSP violations or uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});
