// The hot-reload script (vendor/leptos_hot_reload/src/patch.js) applies the
// view patches `cargo leptos watch --hot-reload` sends, to pages shaped as
// Leptos 0.8 renders them on the server. Each test loads such a page, runs
// the script on a patch as cargo-leptos writes it, and checks what the page
// shows. scripts/watch-check covers the whole loop, with cargo-leptos.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const script = readFileSync(
  path.resolve(__dirname, '../../vendor/leptos_hot_reload/src/patch.js'),
  'utf8',
);

const open = (id: string) => `<!--hot-reload|${id}|open-->`;
const close = (id: string) => `<!--hot-reload|${id}|close-->`;

/** The log-in page's view exactly as the server rendered it under `cargo
 * leptos watch` (2026-11-28; only the ids shortened): a component that shows
 * nothing (`<!>`), then the card with a form, two field components and a
 * link component after a text, and the `<!>`s Leptos leaves after dynamic
 * children. */
const LOGIN = 'app-src-auth-pages.rs-185';
const FIELD = 'app-src-auth-pages.rs-58';
const LINK = 'leptos_router-src-link.rs-148';
const loginPage = `<main><!--hot-reload|${LOGIN}|open--><!><section aria-labelledby="login-title" class="auth-card"><h1 id="login-title">Log in</h1><form action="/api/login" method="post"><!><!--hot-reload|${FIELD}|open--><div class="field"><label for="f-login">Username or email<!></label><input id="f-login" name="login" type="text" autocomplete="username" required aria-invalid="false" aria-describedby="f-login-error"><!><p id="f-login-error" class="field-error"><!><!></p><!><!></div><!--hot-reload|${FIELD}|close--><!--hot-reload|${FIELD}|open--><div class="field"><label for="f-password">Password<!></label><input id="f-password" name="password" type="password" autocomplete="current-password" required aria-invalid="false" aria-describedby="f-password-error"><!><p id="f-password-error" class="field-error"><!><!></p><!><!></div><!--hot-reload|${FIELD}|close--><button type="submit" class="primary">Log in<!></button><!><!></form><p class="auth-switch">New to Kanect? <!--hot-reload|${LINK}|open--><a href="/signup">Create an account<!></a><!--hot-reload|${LINK}|close--><!><!></p><!><!></section><!><!--hot-reload|${LOGIN}|close--></main>`;

type Action = string | Record<string, unknown>;
type Patch = { path: number[]; action: Action };

/** Loads `html`, runs the script on `[id, patches]`, and returns the counts
 * of the `leptos:hot-reload` event it fires. */
async function patched(page: Page, html: string, views: [string, Patch[]][]) {
  await page.setContent(`<!doctype html><html><body>${html}</body></html>`);
  await page.addScriptTag({ content: script });
  return page.evaluate((json) => {
    const counts = new Promise((resolve) => {
      window.addEventListener('leptos:hot-reload', (e) => resolve((e as CustomEvent).detail), { once: true });
    });
    (window as unknown as { patch: (json: string) => void }).patch(json);
    return counts;
  }, JSON.stringify(views));
}

test.describe('the hot-reload script', () => {
  test('changes a text after a child that rendered nothing', async ({ page }) => {
    const counts = await patched(page, loginPage, [[LOGIN, [{ path: [1, 0, 0], action: { SetText: 'Welcome back' } }]]]);
    expect(counts).toEqual({ applied: 1, failed: 0 });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome back');
    // The rest of the page is as it was.
    await expect(page.getByRole('button')).toHaveText('Log in');
    await expect(page.getByRole('link')).toHaveText('Create an account');
  });

  test('counts a nested view as one child, and a text before it', async ({ page }) => {
    const counts = await patched(page, loginPage, [[LOGIN, [
      { path: [1, 2, 0], action: { SetText: 'First time here? ' } },
      { path: [1, 2], action: { SetAttribute: ['class', 'auth-switch quiet'] } },
    ]]]);
    expect(counts).toEqual({ applied: 1, failed: 0 });
    const switchLine = page.locator('section > p');
    await expect(switchLine).toHaveText('First time here? Create an account');
    await expect(switchLine).toHaveClass('auth-switch quiet');
  });

  test('changes a text written inside a component\'s tag', async ({ page }) => {
    // `<A href="/signup">"Create an account"</A>`: cargo-leptos addresses the
    // text as [.., link, 0, 0, 0]; Leptos renders it inside the link's `<a>`.
    const counts = await patched(page, loginPage, [[LOGIN, [{ path: [1, 2, 1, 0, 0, 0], action: { SetText: 'Sign up' } }]]]);
    expect(counts).toEqual({ applied: 1, failed: 0 });
    await expect(page.getByRole('link')).toHaveText('Sign up');
    await expect(page.locator('section > p')).toHaveText('New to Kanect? Sign up');
  });

  test('counts two views of one id in a row as two children', async ({ page }) => {
    // The sidebar's rooms heading as the server rendered it: two links (one
    // component, so one view id) and the `<!>`s Leptos leaves after them.
    const id = 'app-src-chat-rooms_ui-sidebar.rs-76';
    const LIST = 'app-src-chat-rooms_ui-sidebar.rs-86';
    const html = `<!--hot-reload|${id}|open--><section aria-label="Rooms" class="rooms"><div class="section-head"><h2>Rooms</h2><!--hot-reload|${LINK}|open--><a href="/rooms" class="section-link">Browse rooms<!----></a><!--hot-reload|${LINK}|close--><!--hot-reload|${LINK}|open--><a href="/rooms/new" class="section-link">New room<!----></a><!--hot-reload|${LINK}|close--><!----><!----></div><!--hot-reload|${LIST}|open--><ul class="people-list room-list"><!----><!----></ul><!--hot-reload|${LIST}|close--><!----><!----></section><!--hot-reload|${id}|close-->`;
    const counts = await patched(page, html, [[id, [
      { path: [0, 2, 0, 0, 0], action: { SetText: 'Start a room' } },
      { path: [0, 1, 0, 0, 0], action: { SetText: 'Find rooms' } },
    ]]]);
    expect(counts).toEqual({ applied: 1, failed: 0 });
    await expect(page.getByRole('link')).toHaveText(['Find rooms', 'Start a room']);
  });

  test('skips the <!> that only separates two texts', async ({ page }) => {
    const id = 'app-src-greeting.rs-9';
    // `<p>"Hello, " {name} "!"</p>`: three children, two of them separated.
    const html = `${open(id)}<p>Hello, <!>ann<!>!</p>${close(id)}`;
    const counts = await patched(page, html, [[id, [{ path: [2], action: { SetText: '.' } }]]]);
    expect(counts).toEqual({ applied: 1, failed: 0 });
    await expect(page.locator('p')).toHaveText('Hello, ann.');
  });

  test('patches every rendered instance of a view', async ({ page }) => {
    // The field component's view, rendered twice in the form.
    const counts = await patched(page, loginPage, [[FIELD, [
      { path: [], action: { SetAttribute: ['class', 'field wide'] } },
      { path: [0, 0], action: { SetText: 'Your ' } },
    ]]]);
    expect(counts).toEqual({ applied: 2, failed: 0 });
    await expect(page.locator('div.field.wide')).toHaveCount(2);
    await expect(page.locator('label')).toHaveText(['Your ', 'Your ']);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
  });

  test('inserts and removes children', async ({ page }) => {
    const counts = await patched(page, loginPage, [[LOGIN, [
      { path: [1], action: { InsertChild: { before: 1, child: { Element: { name: 'p', attrs: [['class', 'hint']], children: [{ Html: 'Use your username' }] } } } } },
      { path: [1], action: { RemoveChild: { at: 3 } } },
    ]]]);
    expect(counts).toEqual({ applied: 1, failed: 0 });
    await expect(page.locator('p.hint')).toHaveText('Use your username');
    await expect(page.locator('h1 + p.hint')).toHaveCount(1);
    await expect(page.getByRole('link')).toHaveCount(0);
  });

  test('leaves the page alone when a path names the wrong kind of node', async ({ page }) => {
    // [1, 1] is the form, not a text: nothing changes, and the
    // rebuild's reload will show the edit.
    const counts = await patched(page, loginPage, [[LOGIN, [{ path: [1, 1], action: { SetText: 'oops' } }]]]);
    expect(counts).toEqual({ applied: 0, failed: 1 });
    await expect(page.locator('form')).toBeVisible();
    await expect(page.locator('body')).not.toContainText('oops');
  });
});
