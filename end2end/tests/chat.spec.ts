// Two people in two browsers chat live.
import { Browser, expect, Page, test } from './fixtures';
import { hydrated, person, signUp, uniqueName } from './helpers';

function personLink(page: Page, name: string) {
  return page.getByRole('link', { name: new RegExp(`^(online|offline)?\\s*${name}`) });
}

test('two people chat live both ways, with presence, unread badges and history', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');

  // Amy sees Bob come online (live dot) without reloading.
  await amy.page.reload();
  await hydrated(amy.page);
  const bobInAmy = amy.page.locator('.person', { hasText: bob.name });
  await expect(bobInAmy.locator('.dot.online')).toHaveCount(1, { timeout: 10_000 });

  // Amy opens Bob's conversation and writes; Bob gets it live with an unread badge.
  await bobInAmy.click();
  await expect(amy.page).toHaveURL(`/dm/${bob.name}`);
  await expect(amy.page.getByText('Send a message to start the conversation.')).toBeVisible();
  const box = amy.page.getByRole('textbox', { name: 'Message' });
  await box.fill('hello bob');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await expect(box).toBeFocused();
  await expect(amy.page.locator('.message.mine', { hasText: 'hello bob' })).toBeVisible();

  const amyInBob = bob.page.locator('.person', { hasText: amy.name });
  await expect(amyInBob.locator('.badge')).toHaveText('1');
  await amyInBob.click();
  await expect(bob.page.locator('.message', { hasText: 'hello bob' })).toBeVisible();
  await expect(amyInBob.locator('.badge')).toHaveCount(0);

  // Bob answers with markup, which shows as text; a line break is kept.
  const bobBox = bob.page.getByRole('textbox', { name: 'Message' });
  await bobBox.fill('<img src=x onerror=alert(1)>');
  await bobBox.press('Shift+Enter');
  await bobBox.pressSequentially('second line');
  await bobBox.press('Enter');
  const reply = amy.page.locator('.message:not(.mine) .message-body');
  await expect(reply).toHaveText('<img src=x onerror=alert(1)>\nsecond line');
  await expect(amy.page.locator('.messages img')).toHaveCount(0);

  // History survives a reload.
  await amy.page.reload();
  await expect(amy.page.locator('.message', { hasText: 'hello bob' })).toBeVisible();
  await expect(amy.page.locator('.message', { hasText: 'second line' })).toBeVisible();

  // Bob leaves: Amy sees the dot go out.
  await bob.page.context().close();
  await expect(amy.page.locator('.presence')).toHaveText('offline', { timeout: 10_000 });
  await amy.page.context().close();
});

test('scrolling up loads older messages', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  // Seed 60 messages through the API as Amy.
  for (let i = 0; i < 60; i++) {
    const res = await amy.page.request.post('/api/send', {
      headers: { Origin: new URL(amy.page.url()).origin, Accept: 'application/json' },
      form: { to: bob.name, body: `m${i}`, client_id: `seed-${i.toString().padStart(6, '0')}` },
    });
    expect(res.status(), await res.text()).toBe(200);
  }
  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);
  await expect(bob.page.locator('.message-body', { hasText: /^m59$/ })).toBeVisible();
  await expect(bob.page.locator('.message')).toHaveCount(50);
  // Scroll to the top (again, as a person would, until older messages come).
  await expect(async () => {
    await bob.page.locator('.messages').evaluate((el) => (el.scrollTop = 0));
    await expect(bob.page.locator('.message')).toHaveCount(60, { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(bob.page.locator('.message-body', { hasText: /^m0$/ })).toBeAttached();
  // Older messages are not news: no "new messages" pill for them (checked
  // after two more frames, where the pill would have been decided).
  await bob.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await expect(bob.page.locator('.new-pill')).toHaveCount(0);
  await amy.page.context().close();
  await bob.page.context().close();
});
