// The conversation panel's finer behaviour: polling when the WebSocket cannot
// connect, back/forward between conversations, the length countdown, and the
// "new messages" pill for a reader who scrolled up, and a send shown once when
// its message comes back live before the send is answered.
import { Browser, expect, Page, test } from './fixtures';
import { hydrated, person, signUp, uniqueName } from './helpers';

/** Sends through the API as `from` (no browser UI involved). */
async function send(from: Page, to: string, body: string, id: string) {
  const res = await from.request.post('/api/send', {
    headers: { Origin: new URL(from.url()).origin, Accept: 'application/json' },
    form: { to, body, client_id: id },
  });
  expect(res.status(), await res.text()).toBe(200);
}

test('messages still arrive by polling when the WebSocket cannot connect', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  let refused = 0;
  // Every socket Bob's tab opens is closed at once, as a hostile proxy would.
  await bob.page.routeWebSocket(/\/ws/, (ws) => {
    refused += 1;
    ws.close();
  });
  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);
  await send(amy.page, bob.name, 'arrives by polling', 'poll-00000001');
  await expect(bob.page.locator('.message', { hasText: 'arrives by polling' })).toBeVisible({ timeout: 10_000 });
  expect(refused).toBeGreaterThan(0);
  await bob.page.context().close();
  await amy.page.context().close();
});

test('back and forward move between conversations', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  const cas = await person(browser, 'cas');
  await send(bob.page, amy.name, 'from bob', 'nav-00000001');
  await send(cas.page, amy.name, 'from cas', 'nav-00000002');
  await amy.page.reload();
  await hydrated(amy.page);
  await amy.page.locator('.person', { hasText: bob.name }).click();
  await expect(amy.page.locator('.message', { hasText: 'from bob' })).toBeVisible();
  await amy.page.locator('.person', { hasText: cas.name }).click();
  await expect(amy.page).toHaveURL(`/dm/${cas.name}`);
  await expect(amy.page.locator('.message', { hasText: 'from cas' })).toBeVisible();
  await amy.page.goBack();
  await expect(amy.page).toHaveURL(`/dm/${bob.name}`);
  await expect(amy.page.locator('.conversation-head h2')).toHaveText(bob.name);
  await expect(amy.page.locator('.message', { hasText: 'from bob' })).toBeVisible();
  await expect(amy.page.locator('.message', { hasText: 'from cas' })).toHaveCount(0);
  await amy.page.goForward();
  await expect(amy.page.locator('.conversation-head h2')).toHaveText(cas.name);
  await expect(amy.page.locator('.message', { hasText: 'from cas' })).toBeVisible();
  for (const p of [amy, bob, cas]) await p.page.context().close();
});

test('the composer counts down near 4,000 characters and refuses more', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  const box = amy.page.getByRole('textbox', { name: 'Message' });
  await box.fill('x'.repeat(3_000));
  await expect(amy.page.locator('.countdown')).toHaveCount(0);
  await box.fill('x'.repeat(3_990));
  await expect(amy.page.locator('.countdown')).toHaveText('10');
  await box.fill('x'.repeat(4_001));
  await expect(amy.page.locator('.countdown.over')).toHaveText('-1');
  await box.press('Enter');
  await expect(amy.page.locator('.message')).toHaveCount(0);
  await expect(box).toHaveValue('x'.repeat(4_001));
  await amy.page.context().close();
  await bob.page.context().close();
});

test('a reader who scrolled up gets a "new messages" pill instead of a jump', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  for (let i = 0; i < 40; i++) {
    await send(amy.page, bob.name, `line ${i}\nwith a second row`, `pill-${i.toString().padStart(8, '0')}`);
  }
  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);
  const list = bob.page.locator('.messages');
  await expect(bob.page.locator('.message-body', { hasText: 'line 39' })).toBeInViewport();
  // Scroll up as a reader would, and let the browser see it (one frame) before anything arrives.
  await list.evaluate(
    (el) =>
      new Promise<void>((done) => {
        el.scrollTop = el.scrollHeight / 3;
        requestAnimationFrame(() => requestAnimationFrame(() => done()));
      }),
  );
  await send(amy.page, bob.name, 'while you were reading', 'pill-99999999');
  const pill = bob.page.getByRole('button', { name: 'New messages ↓' });
  await expect(pill).toBeVisible();
  await expect(bob.page.locator('.message-body', { hasText: 'while you were reading' })).not.toBeInViewport();
  await pill.click();
  await expect(bob.page.locator('.message-body', { hasText: 'while you were reading' })).toBeInViewport();
  await expect(pill).toHaveCount(0);
  await amy.page.context().close();
  await bob.page.context().close();
});

test('a sent message shows once even when it comes back live before the send is answered', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  // Bob shows as online once Amy's live socket is up.
  await expect(amy.page.locator('.conversation-head .presence')).toHaveText('online', { timeout: 10_000 });
  // Hold the answer to Amy's send for 3 s: the message is stored and pushed
  // to her socket long before her tab hears back from `send`.
  await amy.page.route('**/api/send', async (route) => {
    const response = await route.fetch();
    await new Promise((done) => setTimeout(done, 3_000));
    await route.fulfill({ response });
  });
  const box = amy.page.getByRole('textbox', { name: 'Message' });
  await box.fill('only once');
  await box.press('Enter');
  const mine = amy.page.locator('.message.mine', { hasText: 'only once' });
  // Stored and delivered live while the answer is still held back: exactly
  // one copy right now (counted once, not retried until the answer comes).
  await expect(amy.page.locator('.message.mine[data-id]', { hasText: 'only once' })).toHaveCount(1);
  expect(await mine.count()).toBe(1);
  expect(await amy.page.locator('.message.pending').count()).toBe(0);
  // After the answer, still one.
  await amy.page.waitForTimeout(3_500);
  expect(await mine.count()).toBe(1);
  await amy.page.context().close();
  await bob.page.context().close();
});
