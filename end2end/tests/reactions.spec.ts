// Reactions: picking one from the common row or by search, seen live by the
// other person, with who reacted; clicking a chip toggles one's own.
import { expect, test } from './fixtures';
import { hydrated, person, say } from './helpers';

test('reactions are added, counted and removed live for both people', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'ship it?');
  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);

  const atBob = bob.page.getByRole('log').locator('.message', { hasText: 'ship it?' });
  await atBob.hover();
  await atBob.getByRole('button', { name: 'React' }).click();
  const picker = bob.page.getByRole('dialog', { name: 'Pick a reaction' });
  await picker.getByRole('button', { name: 'thumbs up' }).click();
  await expect(picker).toHaveCount(0);

  const atAmy = amy.page.getByRole('log').locator('.message', { hasText: 'ship it?' });
  const thumbs = atAmy.getByRole('button', { name: `👍 1: ${bob.name}` });
  await expect(thumbs).toBeVisible();
  await expect(thumbs).toHaveAttribute('aria-pressed', 'false');
  await thumbs.click();
  const both = atAmy.getByRole('button', { name: `👍 2: ${bob.name}, ${amy.name}` });
  await expect(both).toHaveAttribute('aria-pressed', 'true');
  await expect(atBob.getByRole('button', { name: /^👍 2/ })).toBeVisible();

  // The whole emoji set, by search.
  await atBob.hover();
  await atBob.getByRole('button', { name: 'React' }).click();
  await picker.getByRole('searchbox', { name: 'Search emoji' }).fill('rocket');
  await picker.getByRole('button', { name: 'rocket' }).click();
  await expect(atAmy.getByRole('button', { name: `🚀 1: ${bob.name}` })).toBeVisible();

  // Clicking one's own again takes it back.
  await both.click();
  await expect(atBob.getByRole('button', { name: `👍 1: ${bob.name}` })).toBeVisible();
});
