// Mentions, notification levels, the tab title and browser notifications,
// across three people's browsers.
import { expect, Page, test } from './fixtures';
import { createRoom, hydrated, person, say } from './helpers';

/** Replaces the browser's Notification API with a recorder, and lets the
 * test hide the tab (`window.__hidden`). `permission`: what the person
 * answered before. Applies from the next page load. */
async function fakeNotifications(page: Page, permission: 'granted' | 'default') {
  await page.addInitScript((permission) => {
    const w = window as any;
    w.__notes = [];
    w.__asked = 0;
    w.__hidden = false;
    class Recorded {
      static permission = permission;
      static requestPermission() {
        w.__asked += 1;
        return Promise.resolve('denied');
      }
      onclick: unknown = null;
      constructor(title: string, options?: { body?: string }) {
        w.__notes.push({ title, body: options?.body ?? '' });
      }
    }
    w.Notification = Recorded;
    Object.defineProperty(document, 'visibilityState', {
      get: () => (w.__hidden ? 'hidden' : 'visible'),
    });
  }, permission);
  await page.reload();
  await hydrated(page);
}

const notes = (page: Page) => page.evaluate(() => (window as any).__notes as { title: string; body: string }[]);

test('a mention is offered, highlighted, counted and notified for the right person only', async ({ browser }) => {
  const [amy, bob, cyd] = await Promise.all(['amy', 'bob', 'cyd'].map((p) => person(browser, p)));
  const room = `men${Date.now().toString(36)}`;
  await createRoom(amy.page, room, `${bob.name}, ${cyd.name}`, false);
  // Bob and Cyd load their pages after the room exists: they know it from
  // the fetched list, not from a live event.
  await fakeNotifications(bob.page, 'granted');
  await fakeNotifications(cyd.page, 'default');
  const bobsRoom = bob.page.getByRole('region', { name: 'Rooms' }).getByRole('link', { name: room });
  const cydsRoom = cyd.page.getByRole('region', { name: 'Rooms' }).getByRole('link', { name: room });
  await expect(bobsRoom).toBeVisible();
  await expect(cydsRoom).toBeVisible();
  await bob.page.evaluate(() => ((window as any).__hidden = true));

  // Amy types "@" and the start of Bob's name: Bob is offered; Enter takes him.
  const box = amy.page.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially(`thanks @${bob.name.slice(0, 6)}`);
  const offer = amy.page.getByRole('listbox', { name: 'Mention someone' });
  await expect(offer.getByRole('option', { name: `@${bob.name}` })).toHaveAttribute('aria-selected', 'true');
  await expect(offer.getByRole('option')).toHaveCount(1);
  await box.press('Enter');
  await expect(offer).toBeHidden();
  await expect(box).toHaveValue(`thanks @${bob.name} `);
  await box.pressSequentially('for the review');
  await box.press('Enter');
  const sent = amy.page.locator('.message.mine', { hasText: 'for the review' });
  await expect(sent.locator('.mention')).toHaveText(`@${bob.name}`);

  // Bob: the @ mark, the count (rooms count mentions), the title and a
  // notification with sender, room and text.
  await expect(bobsRoom.getByLabel('mentions you')).toBeVisible();
  await expect(bobsRoom.getByLabel('unread messages')).toHaveText('1');
  await expect(bob.page).toHaveTitle('(1) Kanect');
  await expect.poll(() => notes(bob.page)).toEqual([
    { title: `${amy.name} in #${room}`, body: `thanks @${bob.name} for the review` },
  ]);

  // Cyd: unread (bold) but nothing counted, no title count, no notification.
  await expect(cyd.page.locator('.room-list li.unread', { hasText: room })).toBeVisible();
  await expect(cydsRoom.getByLabel('mentions you')).toHaveCount(0);
  await expect(cydsRoom.getByLabel('unread messages')).toHaveCount(0);
  await expect(cyd.page).toHaveTitle('Kanect');
  expect(await notes(cyd.page)).toEqual([]);
  // Asking for permission happens on a click, never by itself.
  expect(await cyd.page.evaluate(() => (window as any).__asked)).toBe(0);
  await cyd.page.getByRole('button', { name: 'Turn on notifications' }).click();
  expect(await cyd.page.evaluate(() => (window as any).__asked)).toBe(1);

  // Bob opens the room: his mention stands out; everything is read.
  await bobsRoom.click();
  await expect(bob.page.locator('.message', { hasText: 'for the review' }).locator('.mention.me')).toHaveText(`@${bob.name}`);
  await expect(bob.page).toHaveTitle('Kanect');
  await expect(bobsRoom.getByLabel('mentions you')).toHaveCount(0);

  // Bob mutes the room: another mention neither counts nor notifies. Amy's
  // direct message after it (direct conversations count everything) is the
  // sentinel that it would have arrived by now.
  await bob.page.getByRole('combobox', { name: 'Notifications' }).selectOption('nothing');
  await bob.page.getByRole('link', { name: 'Browse rooms' }).click();
  await expect(bob.page).toHaveURL('/rooms');
  await say(amy.page, `@${bob.name} once more please`);
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'a direct word');
  await expect.poll(() => notes(bob.page)).toHaveLength(2);
  expect((await notes(bob.page))[1]).toEqual({ title: amy.name, body: 'a direct word' });
  await expect(bob.page).toHaveTitle('(1) Kanect');
  await expect(bob.page.locator('.room-list li.muted', { hasText: room })).toBeVisible();
  await expect(bobsRoom.getByLabel('unread messages')).toHaveCount(0);
});
