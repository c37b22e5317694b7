// Editing and deleting one's own messages, seen live in another browser.
import { expect, test } from './fixtures';
import { createRoom, person, say, openRoom } from './helpers';

test('an author edits and deletes a message and the other person sees both live', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  const room = `edit${Date.now().toString(36)}`;
  await createRoom(amy.page, room, bob.name, false);
  await openRoom(bob.page, room);

  await say(amy.page, 'see you at 5');
  const atBob = bob.page.getByRole('log').locator('.message', { hasText: 'see you at' });
  await expect(atBob.locator('.message-body')).toHaveText('see you at 5');

  // The up arrow in the empty composer edits the newest own message.
  await amy.page.getByRole('textbox', { name: 'Message' }).press('ArrowUp');
  const editor = amy.page.getByRole('textbox', { name: 'Edit message' });
  await expect(editor).toHaveValue('see you at 5');
  await editor.fill('see you at 6');
  await editor.press('Enter');
  await expect(editor).toBeHidden();
  await expect(amy.page.locator('.message.mine .message-body')).toHaveText('see you at 6');
  await expect(atBob.locator('.message-body')).toHaveText('see you at 6');
  await expect(atBob.getByText('(edited)')).toBeVisible();

  // Escape cancels an edit: nothing changes.
  const mine = amy.page.locator('.message.mine', { hasText: 'see you at 6' });
  await mine.getByRole('button', { name: 'Edit' }).click();
  await editor.fill('never sent');
  await editor.press('Escape');
  await expect(editor).toBeHidden();
  await expect(mine.locator('.message-body')).toHaveText('see you at 6');

  // Saving closes the editor at once; a save the server refuses opens it
  // again, with the draft and the reason.
  await mine.getByRole('button', { name: 'Edit' }).click();
  await editor.fill('   ');
  await editor.press('Enter');
  await expect(editor).toHaveValue('   ');
  await expect(mine.getByRole('alert')).toBeVisible();
  await editor.press('Escape');
  await expect(editor).toBeHidden();
  await expect(mine.locator('.message-body')).toHaveText('see you at 6');

  // Deleting asks first; then both see "message deleted" in its place.
  await mine.getByRole('button', { name: 'Delete', exact: true }).click();
  await mine.getByRole('group', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete message' }).click();
  await expect(amy.page.locator('.message.mine .message-body')).toHaveText('message deleted');
  await expect(atBob).toHaveCount(0);
  await expect(bob.page.getByRole('log').locator('.message-body.deleted')).toHaveText('message deleted');
  // Bob cannot change Amy's messages: no controls on them.
  await expect(bob.page.getByRole('log').getByRole('button', { name: 'Edit' })).toHaveCount(0);
});

test('an open editor keeps its draft while others react to the message', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  const room = `draft${Date.now().toString(36)}`;
  await createRoom(amy.page, room, bob.name, false);
  await openRoom(bob.page, room);
  await say(amy.page, 'lunch at noon');

  const mine = amy.page.locator('.message.mine', { hasText: 'lunch at noon' });
  await mine.getByRole('button', { name: 'Edit' }).click();
  const editor = amy.page.getByRole('textbox', { name: 'Edit message' });
  await editor.fill('lunch at one');

  const atBob = bob.page.getByRole('log').locator('.message', { hasText: /lunch at/ });
  await atBob.hover();
  await atBob.getByRole('button', { name: 'React' }).click();
  await bob.page.getByRole('dialog', { name: 'Pick a reaction' }).getByRole('button', { name: 'thumbs up' }).click();

  // Bob's reaction shows on Amy's message; her editor is the same one, with
  // her draft and the focus.
  await expect(mine.getByRole('button', { name: `👍 1: ${bob.name}` })).toBeVisible();
  await expect(editor).toHaveValue('lunch at one');
  await expect(editor).toBeFocused();
  await editor.press('Enter');
  await expect(atBob.locator('.message-body')).toHaveText('lunch at one');
  await expect(atBob.getByRole('button', { name: `👍 1: ${bob.name}` })).toBeVisible();
});
