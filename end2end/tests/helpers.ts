// Shared steps for Kanect's browser tests.
import { expect, Page } from '@playwright/test';

export const PASSWORD = 'correct-horse-battery-9';

/** A username no other test uses. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 32);
}

/** Waits until the wasm has hydrated the page (the app marks <body>). The
 * debug bundle is several megabytes: the first compile in a fresh browser on
 * a busy two-core machine can take a while. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 20_000 });
}

export async function signUp(page: Page, username: string, password = PASSWORD) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

export async function logIn(page: Page, login: string, password = PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
