// Every address of the chat view works when opened directly (a bookmark, a
// reload), including the panes whose code is lazily loaded; and the first
// load of `/` fetches the main bundle only, while a conversation's address
// also fetches the conversation's chunk before the page hydrates. The log-in
// page is lazily loaded too: it fetches its chunk, and the chat view it leads
// to needs nothing more.
import type { Response } from '@playwright/test';
import { expect, Page, test } from './fixtures';
import { PASSWORD, hydrated, person, say } from './helpers';

/** The `/pkg/` files the page fetches while `load` runs. */
async function fetchedAssets(page: Page, load: () => Promise<void>): Promise<string[]> {
  return (await fetchedAssetsWhy(page, load)).map((f) => f.file);
}

/** A fetched `/pkg/` file, and what asked for it: the frame's address, and
 *  the browser's `Sec-Purpose` when it fetched speculatively. */
interface Fetched {
  file: string;
  frame: string;
  purpose: string;
}

/** The `/pkg/` files the page fetches while `load` runs, with what asked. */
async function fetchedAssetsWhy(page: Page, load: () => Promise<void>): Promise<Fetched[]> {
  const seen: Fetched[] = [];
  const record = (res: Response) => {
    const path = new URL(res.url()).pathname;
    if (!path.startsWith('/pkg/')) return;
    const request = res.request();
    seen.push({
      file: path.slice('/pkg/'.length),
      frame: request.frame().url(),
      purpose: request.headers()['sec-purpose'] ?? '',
    });
  };
  page.on('response', record);
  await load();
  page.off('response', record);
  return seen;
}

test('every chat address hydrates when opened directly', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  for (const [address, shows] of [
    ['/rooms', 'Browse rooms'],
    ['/rooms/new', 'New room'],
    ['/rooms/x', 'Nothing here'],
    [`/dm/${bob.name}`, bob.name],
  ]) {
    await amy.page.goto(address);
    await hydrated(amy.page);
    await expect(amy.page.getByRole('heading', { name: shows, exact: true })).toBeVisible();
  }
  // The directly opened conversation is live: a send goes through.
  await say(amy.page, 'opened directly');
  await amy.page.goto('/');
  await hydrated(amy.page);
  await amy.page.getByRole('link', { name: bob.name }).click();
  await expect(amy.page.locator('.message', { hasText: 'opened directly' })).toBeVisible();
});

test('the first load of / fetches the main bundle only; a conversation fetches its chunk', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  // A fresh context: nothing cached.
  const page = await (await browser.newContext({ storageState: await amy.page.context().storageState() })).newPage();
  const atRoot = await fetchedAssetsWhy(page, async () => {
    await page.goto('/');
    await hydrated(page);
  });
  const wasm = atRoot.filter((f) => f.file.endsWith('.wasm'));
  // On failure, say who asked for each file (the page's own code, at which
  // address, or the browser speculatively).
  expect(
    wasm.map((f) => f.file),
    `only the main wasm; fetched: ${JSON.stringify(wasm)}; the page's preload links: ${JSON.stringify(
      await page.locator('link[rel="preload"], link[rel="modulepreload"]').evaluateAll((ls) => ls.map((l) => l.getAttribute('href'))),
    )}`,
  ).toEqual([expect.stringMatching(/^kanect\.[A-Za-z0-9_-]+\.wasm$/)]);
  // Pointing at the sidebar fetches the conversation's code ahead of the click.
  const onHover = await fetchedAssets(page, async () => {
    const chunk = page.waitForResponse((res) => /\/pkg\/split_[^/]*conversation[^/]*\.wasm$/.test(res.url()));
    await page.getByRole('link', { name: bob.name }).hover();
    await chunk;
  });
  expect(onHover.length).toBeGreaterThan(0);
  await page.getByRole('link', { name: bob.name }).click();
  await hydrated(page);
  await say(page, 'after the hover');
  const other = await (await browser.newContext({ storageState: await amy.page.context().storageState() })).newPage();
  const atConversation = await fetchedAssets(other, async () => {
    await other.goto(`/dm/${bob.name}`);
    await hydrated(other);
  });
  const chunks = atConversation.filter((f) => f.endsWith('.wasm') && !f.startsWith('kanect.'));
  expect(chunks.length, 'the conversation code is a chunk of its own').toBeGreaterThan(0);
  await say(other, 'from a fresh tab');
});

test('the log-in page fetches its chunk; the chat view after it needs no more code', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const page = await (await browser.newContext()).newPage();
  const atLogin = await fetchedAssets(page, async () => {
    await page.goto('/login');
    await hydrated(page);
  });
  expect(atLogin).toContainEqual(expect.stringMatching(/^split_[^/]*login_route[^/]*\.wasm$/));
  const afterLogin = await fetchedAssets(page, async () => {
    await page.getByLabel('Username or email').fill(amy.name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL('/');
    await expect(page.getByRole('region', { name: 'Rooms' })).toBeVisible();
  });
  expect(afterLogin.filter((f) => f.endsWith('.wasm')), 'no wasm fetched for the chat view').toEqual([]);
});
