// "is typing…" across two browsers: shown within a moment of typing, gone a
// few seconds after the last keystroke, and at once when the message lands.
import { expect, test } from './fixtures';
import { createRoom, person, openRoom } from './helpers';

test('typing shows to the other member and clears by itself or when the message arrives', async ({ browser }) => {
  // Two sign-ups and a room before the first keystroke, then a deliberate
  // wait of about 5 s for the indicator to clear by itself: on a busy
  // two-core machine that has taken 22–30 s, at Playwright's default limit.
  test.slow();
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  const room = `typ${Date.now().toString(36)}`;
  await createRoom(amy.page, room, bob.name, false);
  await openRoom(bob.page, room);

  const box = bob.page.getByRole('textbox', { name: 'Message' });
  const indicator = amy.page.getByText(`${bob.name} is typing…`);
  await box.pressSequentially('on my');
  await expect(indicator).toBeVisible();
  // No more keystrokes: it goes away by itself (about 5 s after the last).
  await expect(indicator).toBeHidden({ timeout: 10_000 });

  await box.pressSequentially(' way');
  await expect(indicator).toBeVisible();
  await box.press('Enter');
  await expect(amy.page.getByRole('log').locator('.message-body', { hasText: 'on my way' })).toBeVisible();
  await expect(indicator).toHaveCount(0);
  // Bob never sees himself typing.
  await expect(bob.page.getByText('is typing…')).toHaveCount(0);
});
