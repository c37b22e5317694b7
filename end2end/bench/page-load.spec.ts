// Page load in a real browser for a person whose conversation holds 10,
// 10,000 and 1,000,000 messages: navigation start to hydrated page with the
// live socket's `hello`, and how many message frames the socket replays.
// Not part of the test run: E2E_BENCH=1 scripts/page-load-bench (see docs/performance.md).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { hydrated, logIn, signUp, uniqueName } from '../tests/helpers';

const SIZES = [10, 10_000, 1_000_000];
const LOADS = 7;

test('page load is flat from 10 to 1,000,000 messages', async ({ browser }) => {
  test.setTimeout(600_000);
  const rows: string[] = [];
  for (const size of SIZES) {
    const reader = uniqueName('rd');
    const peer = uniqueName('pe');
    for (const name of [peer, reader]) {
      const p = await (await browser.newContext()).newPage();
      await signUp(p, name);
      await expect(p).toHaveURL('/');
      await p.context().close();
    }
    execFileSync('python3', [
      path.join(__dirname, 'seed.py'),
      path.join(process.env.E2E_DATA!, 'kanect.db'), peer, reader, String(size),
    ]);
    const times: number[] = [];
    let replayed = 0;
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await logIn(page, reader);
      await expect(page).toHaveURL('/');
      let helloAt = 0;
      page.on('websocket', (ws) =>
        ws.on('framereceived', (f) => {
          const text = String(f.payload);
          if (text.includes('"type":"hello"') && !helloAt) helloAt = Date.now();
          if (text.includes('"type":"message"')) replayed++;
        }),
      );
      const t0 = Date.now();
      await page.goto(`/chats/${peer}`);
      await hydrated(page);
      await expect.poll(() => helloAt).toBeGreaterThan(0);
      times.push(Math.max(helloAt, Date.now()) - t0);
      await expect(page.locator('.message').first()).toBeVisible();
      await context.close();
    }
    times.sort((a, b) => a - b);
    rows.push(`| ${size} messages | ${times[Math.floor(LOADS / 2)]} ms | ${times[LOADS - 1]} ms | ${replayed} |`);
  }
  console.log(['| conversation | median | slowest | message frames replayed |', '|---|---|---|---|', ...rows].join('\n'));
});
