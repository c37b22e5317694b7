// The admin console in a real browser: an admin made with
// `kanect-server create-admin` (run against the server's own database)
// deactivates a user whose tab is open, reactivates them, deletes a message
// out of an open conversation, and reads the audit log; a regular user who
// opens /admin gets the 403 page.
import { Browser, expect, Page, test } from './fixtures';
import { createAdmin as createAdminAs, hydrated, logIn, signUp, uniqueName } from './helpers';

const ADMIN_PASSWORD = 'admin-Passphrase-for-kanect-7';

function createAdmin(username: string): string {
  return createAdminAs(username, ADMIN_PASSWORD);
}

async function browserFor(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test('an admin deactivates, reactivates, moderates and audits', async ({ browser }) => {
  const adminName = uniqueName('root');
  expect(createAdmin(adminName)).toContain(`Created the admin account ${adminName}`);
  const admin = await browserFor(browser);
  await logIn(admin, adminName, ADMIN_PASSWORD);
  await expect(admin).toHaveURL('/');
  await expect(admin.getByRole('link', { name: 'Admin' })).toBeVisible();

  // Two people chatting; Vic keeps the conversation with Cas open.
  const vicName = uniqueName('vic');
  const casName = uniqueName('cas');
  const vic = await browserFor(browser);
  const cas = await browserFor(browser);
  await signUp(vic, vicName);
  await signUp(cas, casName);
  await expect(cas).toHaveURL('/');
  await cas.goto(`/dm/${vicName}`);
  await hydrated(cas);
  const box = cas.getByRole('textbox', { name: 'Message' });
  await box.fill('please moderate this');
  await box.press('Enter');
  await expect(cas.locator('.message.mine .sending')).toHaveCount(0);

  // The admin finds Vic and deactivates them: Vic's open tab is logged out.
  await admin.getByRole('link', { name: 'Admin' }).click();
  await expect(admin.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
  await admin.getByRole('searchbox', { name: 'Search users' }).fill(vicName);
  const row = admin.getByTestId(`user-${vicName}`);
  await expect(row).toContainText(`${vicName}@example.org`);
  await expect(admin.getByTestId('users-table').locator('tbody tr')).toHaveCount(1);
  await row.getByRole('button', { name: 'Manage' }).click();
  const editor = admin.getByTestId('user-editor');
  await editor.getByRole('button', { name: 'Deactivate' }).click();
  await expect(editor).toContainText(`Deactivate ${vicName}?`);
  await editor.getByRole('button', { name: 'Yes, deactivate' }).click();
  await expect(editor.getByRole('status')).toHaveText(`${vicName} is deactivated.`);
  await expect(row).toContainText('Deactivated');
  await expect(vic).toHaveURL('/login', { timeout: 10_000 });

  // Vic cannot log back in until reactivated.
  await logIn(vic, vicName);
  await expect(vic.getByRole('alert')).toContainText('deactivated');
  await editor.getByRole('button', { name: 'Reactivate' }).click();
  await expect(editor.getByRole('status')).toHaveText(`${vicName} is active again.`);
  await logIn(vic, vicName);
  await expect(vic).toHaveURL('/');
  await vic.goto(`/dm/${casName}`);
  await hydrated(vic);
  const moderated = vic.locator('.message', { hasText: 'please moderate this' });
  await expect(moderated).toBeVisible();

  // The admin deletes the message; it disappears from both open conversations.
  await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Messages' }).click();
  await admin.locator('#q-user_a').fill(casName);
  await admin.locator('#q-text').fill('moderate');
  await admin.getByRole('button', { name: 'Search' }).click();
  const found = admin.getByTestId('messages-table').locator('tbody tr');
  await expect(found).toHaveCount(1);
  await expect(found).toContainText(vicName);
  await found.getByRole('button', { name: 'Delete' }).click();
  await found.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(admin.getByText('No messages match.')).toBeVisible();
  await expect(moderated).toHaveCount(0);
  await expect(cas.locator('.message', { hasText: 'please moderate this' })).toHaveCount(0);

  // Every step is in the audit log, newest first.
  await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit log' }).click();
  await admin.locator('#a-actor').fill(adminName);
  await admin.getByRole('button', { name: 'Filter' }).click();
  const entries = admin.getByTestId('audit-table').locator('tbody tr');
  await expect(entries).toHaveCount(3);
  await expect(entries.nth(0)).toContainText('Deleted message');
  await expect(entries.nth(0)).toContainText(casName);
  await expect(entries.nth(1)).toContainText('Reactivated');
  await expect(entries.nth(1)).toContainText(vicName);
  await expect(entries.nth(2)).toContainText('Deactivated');
});

test('a regular user who opens /admin gets the 403 page', async ({ page }) => {
  await signUp(page, uniqueName('reg'));
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  const response = await page.goto('/admin/users');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: '403 — Admins only' })).toBeVisible();
});
