// Who may sign up, changed by an admin in the console. It changes what every
// visitor may do, so it runs in its own project after all the others (see
// playwright.config.ts), never beside a spec that signs people up.
import { Browser, expect, Page, test } from './fixtures';
import { PASSWORD, createAdmin, hydrated, logIn, signUp, uniqueName } from './helpers';

const ADMIN_PASSWORD = PASSWORD;

async function browserFor(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test('an admin restricts sign-up to the join link', async ({ browser }) => {
  const adminName = uniqueName('root');
  createAdmin(adminName, ADMIN_PASSWORD);
  const admin = await browserFor(browser);
  await logIn(admin, adminName, ADMIN_PASSWORD);
  await expect(admin).toHaveURL('/');
  await admin.goto('/admin/settings');
  await hydrated(admin);
  await admin.getByRole('radio', { name: 'Only people with the join link' }).check();
  await expect(admin.getByRole('status')).toContainText('Saved: Only people with the join link.');
  const link = (await admin.getByTestId('join-link').textContent()) ?? '';
  expect(link).toMatch(/\/signup\?join=[0-9a-f]{32}$/);

  try {
    // Without the link: told so, and refused.
    const visitor = await browserFor(browser);
    await visitor.goto('/signup');
    await hydrated(visitor);
    await expect(visitor.getByRole('status')).toContainText('Sign-up is by invitation');
    await signUp(visitor, uniqueName('nolink'));
    await expect(visitor.getByRole('alert')).toContainText('Sign-up is by invitation');
    await expect(visitor).toHaveURL(/\/signup/);

    // With the link: in.
    const invited = await browserFor(browser);
    await invited.goto(link);
    await hydrated(invited);
    await invited.getByLabel('Username').fill(uniqueName('inv'));
    const name = await invited.getByLabel('Username').inputValue();
    await invited.getByLabel('Email').fill(`${name}@example.org`);
    await invited.getByLabel('Password', { exact: true }).fill('correct-horse-battery-9');
    await invited.getByLabel('Password again').fill('correct-horse-battery-9');
    await invited.getByRole('button', { name: 'Sign up' }).click();
    await expect(invited).toHaveURL('/');
  } finally {
    // Other specs sign people up: open it again whatever happened.
    await admin.getByRole('radio', { name: 'Anyone can sign up' }).check();
    await expect(admin.getByRole('status')).toContainText('Saved: Anyone can sign up.');
  }
});
