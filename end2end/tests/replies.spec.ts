// Replies: answering a message from its actions, the quote seen live by the
// other person, and a quote that jumps to an original not yet loaded.
import { expect, test } from './fixtures';
import { createRoom, hydrated, person, say, openRoom } from './helpers';

test('a reply quotes its original for both people, live', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  const room = `rep${Date.now().toString(36)}`;
  await createRoom(amy.page, room, bob.name, false);
  await openRoom(bob.page, room);
  await say(amy.page, 'lunch at noon?');

  const original = bob.page
    .getByRole('log')
    .locator('.message', { hasText: 'lunch at noon?', hasNot: bob.page.locator('.quote') });
  await original.hover();
  await original.getByRole('button', { name: 'Reply' }).click();
  await expect(bob.page.getByRole('status').filter({ hasText: 'Replying to' })).toContainText(amy.name);
  const box = bob.page.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeFocused();
  await box.fill('noon works');
  await box.press('Enter');
  await expect(bob.page.getByRole('status').filter({ hasText: 'Replying to' })).toHaveCount(0);

  const reply = amy.page.getByRole('log').locator('.message', { hasText: 'noon works' });
  await expect(reply.getByRole('button', { name: `Reply to ${amy.name}: lunch at noon?` })).toBeVisible();

  // Escape drops a reply being written.
  await original.hover();
  await original.getByRole('button', { name: 'Reply' }).click();
  await box.press('Escape');
  await expect(bob.page.getByRole('status').filter({ hasText: 'Replying to' })).toHaveCount(0);
});

test('a quote jumps to its original, loading older history first', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  const bob = await person(browser, 'bob');
  const post = async (body: string, i: number, replyTo?: number) => {
    const form: Record<string, string> = { to: bob.name, body, client_id: `jump-${i.toString().padStart(6, '0')}` };
    if (replyTo !== undefined) form.reply_to = String(replyTo);
    const res = await amy.page.request.post('/api/send', {
      headers: { Origin: new URL(amy.page.url()).origin, Accept: 'application/json' },
      form,
    });
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()).id as number;
  };
  const first = await post('the very first one', 0);
  for (let i = 1; i < 60; i++) await post(`filler ${i}`, i);
  await post('about that first one', 60, first);

  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);
  const log = bob.page.getByRole('log');
  await expect(log.locator('.message-body', { hasText: 'about that first one' })).toBeVisible();
  await expect(log.locator('.message-body', { hasText: 'the very first one' })).toHaveCount(0);
  // The highlight lasts a moment: record every message that gets it (added
  // with the class, or given it later), so a slow machine cannot miss it.
  await log.evaluate((el) => {
    const seen: string[] = [];
    (window as unknown as { highlighted: string[] }).highlighted = seen;
    const note = (n: Node) => {
      if (n instanceof Element) {
        for (const m of [n, ...n.querySelectorAll('.message')]) {
          if (m.classList.contains('message') && m.classList.contains('highlight')) seen.push(m.getAttribute('data-id') ?? '');
        }
      }
    };
    new MutationObserver((changes) => {
      for (const c of changes) {
        if (c.type === 'attributes') note(c.target);
        c.addedNodes.forEach(note);
      }
    }).observe(el, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  });
  await log.getByRole('button', { name: `Reply to ${amy.name}: the very first one` }).click();
  const target = log.locator('.message', { hasText: 'the very first one' }).filter({ hasNot: bob.page.locator('.quote') });
  await expect(target).toBeInViewport();
  await expect
    .poll(() => bob.page.evaluate(() => (window as unknown as { highlighted: string[] }).highlighted))
    .toContain(String(first));
});
