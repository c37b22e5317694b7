// "Seen" in a direct conversation: it appears under the sender's message
// once the other person has opened the conversation.
import { expect, test } from './fixtures';
import { createRoom, hydrated, person, say } from './helpers';

test('the sender sees "Seen" when the other person opens the conversation', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'are you there?');
  const mine = amy.page.locator('.message.mine', { hasText: 'are you there?' });
  await expect(mine.getByText('Seen', { exact: true })).toHaveCount(0);

  await bob.page
    .getByRole('region', { name: 'Direct messages' })
    .getByRole('link', { name: new RegExp(amy.name) })
    .click();
  await expect(bob.page.getByRole('log').getByText('are you there?')).toBeVisible();
  await expect(mine.getByText('Seen', { exact: true })).toBeVisible();
  // After a reload it is still there (from the history, not only live).
  await amy.page.reload();
  await hydrated(amy.page);
  await expect(amy.page.locator('.message.mine', { hasText: 'are you there?' }).getByText('Seen', { exact: true })).toBeVisible();
});

test('in a room, hovering one\'s message shows how many have read it', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  const room = `seen${Date.now().toString(36)}`;
  await createRoom(amy.page, room, bob.name, false);
  await say(amy.page, 'read this, team');
  const marked = bob.page.waitForResponse((r) => r.url().endsWith('/api/mark_read') && r.ok());
  await bob.page.getByRole('region', { name: 'Rooms' }).getByRole('link', { name: room }).click();
  await expect(bob.page.getByRole('log').getByText('read this, team')).toBeVisible();
  await marked;
  const mine = amy.page.locator('.message.mine', { hasText: 'read this, team' });
  const edit = mine.getByRole('button', { name: 'Edit' });
  const before = await edit.boundingBox();
  await mine.hover();
  await expect(mine.getByText('Seen by 1')).toBeVisible();
  await expect(mine.getByText('Seen by 1')).toHaveAttribute('title', bob.name);
  // The answer arrives under the pointer: the message's buttons stay put
  // (a button that moved between press and release would not be clicked).
  expect(await edit.boundingBox()).toEqual(before);
});

test('turning read receipts and typing off is remembered', async ({ browser }) => {
  const amy = await person(browser, 'amy');
  await amy.page.getByText('Privacy').click();
  const typing = amy.page.getByRole('checkbox', { name: "Show others when I'm typing" });
  const receipts = amy.page.getByRole('checkbox', { name: /Read receipts/ });
  await expect(typing).toBeChecked();
  for (const box of [typing, receipts]) {
    const saved = amy.page.waitForResponse((r) => r.url().endsWith('/api/privacy') && r.ok());
    await box.uncheck();
    await saved;
  }
  await amy.page.reload();
  await hydrated(amy.page);
  await amy.page.getByText('Privacy').click();
  await expect(typing).not.toBeChecked();
  await expect(receipts).not.toBeChecked();
});
