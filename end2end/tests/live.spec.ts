// The live socket follows the chat view: one per tab while it is shown,
// closed when the person leaves it (for the admin console) or logs out — and
// whoever else is online sees them go offline.
import type { WebSocket } from '@playwright/test';
import { expect, test } from './fixtures';
import { PASSWORD, createAdmin, hydrated, logIn, signUp, uniqueName } from './helpers';

const open = (sockets: WebSocket[]) => sockets.filter((ws) => !ws.isClosed()).length;

test('one socket per tab, closed on leaving the chat view and on log-out', async ({ browser }) => {
  const adminName = uniqueName('root');
  createAdmin(adminName, PASSWORD);
  const admin = await (await browser.newContext()).newPage();
  const sockets: WebSocket[] = [];
  admin.on('websocket', (ws) => sockets.push(ws));
  await logIn(admin, adminName);
  await expect(admin).toHaveURL('/');
  await expect.poll(() => open(sockets)).toBe(1);

  // Someone else watches the admin's presence dot.
  const other = await (await browser.newContext()).newPage();
  await signUp(other, uniqueName('obs'));
  await expect(other).toHaveURL('/');
  await hydrated(other);
  const dot = other.locator('.person', { hasText: adminName }).locator('.dot');
  await expect(dot).toHaveAttribute('aria-label', 'online', { timeout: 10_000 });

  await admin.getByRole('link', { name: 'Admin' }).click();
  await expect(admin).toHaveURL('/admin');
  await expect.poll(() => open(sockets)).toBe(0);
  await admin.getByRole('link', { name: 'Kanect' }).click();
  await expect(admin).toHaveURL('/');
  await expect.poll(() => open(sockets)).toBe(1);
  expect(sockets.length).toBe(2);

  await admin.getByRole('button', { name: 'Log out' }).click();
  await expect(admin).toHaveURL('/login');
  await expect.poll(() => open(sockets)).toBe(0);
  await expect(dot).toHaveAttribute('aria-label', 'offline', { timeout: 10_000 });
  expect(sockets.length).toBe(2);
});
