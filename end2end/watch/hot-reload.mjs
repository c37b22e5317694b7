// The browser half of scripts/watch-check: under `cargo leptos watch
// --hot-reload`, a text edited in a `view!` shows in an open page without a
// reload. Opens <base>/login in Chromium, waits until the page's live-reload
// socket is open, replaces `<before>` with `<after>` in <file> (the heading of
// the log-in page), and waits until the page shows <text> in its heading, in
// place (the page was not reloaded). Prints when it saved the file (ms since
// the epoch) and the milliseconds from the save to the patched heading; exits
// non-zero if the page reloaded or the heading did
// not change within WATCH_PATCH_TIMEOUT ms (default 10000).
//
//   node end2end/watch/hot-reload.mjs <base> <file> <before> <after> <text>
import { chromium } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';

const [base, file, before, after, text] = process.argv.slice(2);
if (!text) {
  console.error('usage: hot-reload.mjs <base> <file> <before> <after> <text>');
  process.exit(2);
}
const timeout = Number(process.env.WATCH_PATCH_TIMEOUT ?? 10_000);

const browser = await chromium.launch({
  executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
let status = 1;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.text().includes('HOT RELOAD')) console.error(`page: ${m.text()}`);
  });
  // Notes when the live-reload socket opens, and marks this document so that
  // a reload (a new document) is told apart from a patch.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        if (String(args[0]).includes('/live_reload')) {
          this.addEventListener('open', () => { window.__reloadSocketOpen = true; });
        }
      }
    };
  });
  await page.goto(`${base}/login`);
  await page.waitForFunction(() => window.__reloadSocketOpen === true, null, { timeout: 30_000 });
  await page.evaluate(() => { window.__sameDocument = true; });
  const heading = page.getByRole('heading', { level: 1 });

  const source = readFileSync(file, 'utf8');
  if (!source.includes(before)) throw new Error(`${before} is not in ${file}`);
  const patched = page.evaluate(
    () => new Promise((resolve) => window.addEventListener('leptos:hot-reload', (e) => resolve(e.detail), { once: true })),
  );
  const saved = Date.now();
  writeFileSync(file, source.replace(before, after));
  await heading.filter({ hasText: text }).waitFor({ timeout });
  const ms = Date.now() - saved;
  const same = await page.evaluate(() => window.__sameDocument === true);
  if (!same) throw new Error('the page reloaded instead of being patched');
  const detail = await patched;
  console.log(`${saved} ${ms}`);
  console.error(`patched in place: ${JSON.stringify(detail)}`);
  status = 0;
} catch (e) {
  console.error(`hot reload: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(status);
