// A person signs up, lands in the chat view, logs out and back in.
import { expect, test } from './fixtures';
import { PASSWORD, hydrated, signUp, uniqueName } from './helpers';

test('sign up, see the chat view, log out, log back in', async ({ page }) => {
  const name = uniqueName('dora');
  await signUp(page, name);
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { name: 'Direct messages' })).toBeVisible();
  await expect(page.getByTestId('me')).toHaveText(name);

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL('/login');
  await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);

  // The session really ended: the chat view sends us back to log in.
  await page.goto('/');
  await expect(page).toHaveURL('/login');

  await hydrated(page);
  await page.getByLabel('Username or email').fill(`${name}@example.org`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByTestId('me')).toHaveText(name);
});

test('sign-up errors appear next to their fields without a reload', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Username').fill('no spaces allowed');
  await page.getByLabel('Email').fill('nobody@example.org');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD + 'x');
  // Marks the document: a full reload would lose it.
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByRole('button', { name: 'Sign up' }).click();

  await expect(page.locator('#f-username-error')).toContainText('is not allowed');
  await expect(page.locator('#f-password_again-error')).toHaveText('The two passwords differ.');
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('a taken username and a common password are refused', async ({ page, browser }) => {
  const name = uniqueName('nemo');
  await signUp(page, name);
  await expect(page).toHaveURL('/');

  const other = await browser.newPage();
  await signUp(other, name.toUpperCase(), 'password1');
  await expect(other.locator('#f-password-error')).toContainText('too common');
  await other.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await other.getByLabel('Password again').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign up' }).click();
  await expect(other.locator('#f-username-error')).toHaveText('That username is taken.');
  await other.close();
});

test('a wrong password gets one generic message', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username or email').fill('nobody-at-all');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username/email or password.');
  await expect(page).toHaveURL('/login');
});

test('the strength meter reacts as the password is typed', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  const label = page.locator('.meter-label');
  await expect(label).toHaveText('Password strength');
  await page.getByLabel('Password', { exact: true }).fill('abc');
  await expect(label).toHaveText('Strength: Very weak');
  await page.getByLabel('Password', { exact: true }).fill('correct-Horse-battery-staple-9');
  await expect(label).toHaveText('Strength: Strong');
});

test('unknown addresses show the 404 page', async ({ page }) => {
  const res = await page.goto('/no/such/page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('the layout fits a 360 px phone', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signUp(page, uniqueName('phone'));
  await expect(page).toHaveURL('/');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
});
