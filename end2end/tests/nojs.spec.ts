// The account forms with JavaScript turned off: plain POSTs and redirects.
import { expect, test } from './fixtures';
import { PASSWORD, uniqueName } from './helpers';

test('signing up and logging out work without JavaScript @nojs', async ({ page }) => {
  const name = uniqueName('nojs');
  await page.goto('/signup');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Email').fill(`${name}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { name: 'Direct messages' })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL('/login');
});

test('a failed login shows its error without JavaScript @nojs', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username or email').fill('nobody-at-all');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username/email or password.');
});

test('sign-up field errors show without JavaScript @nojs', async ({ page }) => {
  await page.goto('/signup');
  await page.getByLabel('Username').fill('x');
  await page.getByLabel('Email').fill('x@example.org');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('#f-username-error')).toHaveText('Use 3 to 32 characters.');
});
