// Shared steps for Kanect's browser tests.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Browser, expect, Page } from '@playwright/test';

const root = path.resolve(__dirname, '../..');

export const PASSWORD = 'correct-horse-battery-9';

/** A username no other test uses. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 32);
}

const problems: string[] = [];
const watched = new WeakSet<Page>();

/** Records the page's CSP violations and uncaught errors for the running test
 * (checked by the `test` of fixtures.ts). */
export function watch(page: Page) {
  if (watched.has(page)) return;
  watched.add(page);
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`error: ${err.message}`));
}

/** The problems recorded since the last call. */
export function takeProblems(): string[] {
  return problems.splice(0, problems.length);
}

/** Waits until the wasm has hydrated the page: the app marks <body> when it
 * is done, and an open conversation panel (lazily loaded code) marks itself
 * once its chunk has loaded and hydrated. The suite runs against the release
 * build (a few hundred KB, precompressed), which hydrates in well under a
 * second even on a busy machine; the generous timeout only bounds a real
 * failure. */
export async function hydrated(page: Page) {
  watch(page);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 15_000 });
  await expect(page.locator('section[aria-label="Conversation"]:not([data-hydrated])')).toHaveCount(0, {
    timeout: 15_000,
  });
}

export async function signUp(page: Page, username: string, password = PASSWORD) {
  watch(page);
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

export async function logIn(page: Page, login: string, password = PASSWORD) {
  watch(page);
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Makes an admin the way the README says: `kanect-server create-admin`,
 * run against the test server's data directory. */
export function createAdmin(username: string, password: string): string {
  return execFileSync(
    process.env.E2E_SERVER ?? path.join(root, 'target/release/kanect-server'),
    ['create-admin', '--username', username, '--email', `${username}@example.org`],
    {
      cwd: root,
      env: {
        ...process.env,
        KANECT_DATA_DIR: process.env.E2E_DATA ?? path.join(root, 'end2end/.data'),
        KANECT_PASSWORD: password,
        KANECT_LOG: 'warn',
      },
    },
  ).toString();
}

/** A new person signed up in a browser context of their own, on the chat view. */
export async function person(browser: Browser, prefix: string): Promise<{ page: Page; name: string }> {
  const page = await (await browser.newContext()).newPage();
  const name = uniqueName(prefix);
  await signUp(page, name);
  await expect(page).toHaveURL('/');
  return { page, name };
}

/** Creates a room from the sidebar's "New room" and waits until it is open. */
export async function createRoom(page: Page, name: string, members: string, isPublic: boolean) {
  await page.getByRole('link', { name: 'New room' }).click();
  await expect(page).toHaveURL('/rooms/new');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Topic').fill('where we talk');
  await page.getByLabel(isPublic ? /^Public/ : /^Private/).check();
  await page.getByLabel('First members').fill(members);
  await page.getByRole('button', { name: 'Create room' }).click();
  await expect(page).toHaveURL(/\/rooms\/\d+$/);
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

/** Opens a room the person belongs to from the sidebar and waits for its heading. */
export async function openRoom(page: Page, name: string) {
  await page.getByRole('region', { name: 'Rooms' }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

/** Sends a message from the open conversation and waits until it is shown. */
export async function say(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await expect(page.locator('.message.mine', { hasText: text })).toBeVisible();
}
