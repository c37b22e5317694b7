// "Seen" in a direct conversation: it appears under the sender's message
// once the other person has opened the conversation.
import { expect, test } from './fixtures';
import { hydrated, person, say } from './helpers';

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
