// Formatting as people see it: the Markdown subset, links that say where
// they go, markup typed by someone shown as text, day separators and runs.
import { expect, test } from './fixtures';
import { hydrated, person, say } from './helpers';

test('formatting renders, typed HTML stays text, and days are marked', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'plain first');
  const box = amy.page.getByRole('textbox', { name: 'Message' });
  await box.fill('**bold** and `x < y` <img src=x onerror=alert(1)> see https://example.com/docs');
  await box.press('Enter');
  await box.fill('```\nfn main() {\n    go();\n}\n```');
  await box.press('Enter');

  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);
  const log = bob.page.getByRole('log');
  const msg = log.locator('.message', { hasText: 'and' }).filter({ hasText: 'bold' });
  await expect(msg.locator('strong')).toHaveText('bold');
  await expect(msg.locator('code')).toHaveText('x < y');
  await expect(msg.getByText('<img src=x onerror=alert(1)>')).toBeVisible();
  await expect(msg.locator('img')).toHaveCount(0);
  const link = msg.getByRole('link', { name: 'https://example.com/docs' });
  await expect(link).toHaveAttribute('href', 'https://example.com/docs');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await expect(log.locator('pre code')).toHaveText('fn main() {\n    go();\n}\n');

  // One separator for today, before the first message; Amy's three messages
  // are one run.
  await expect(log.getByRole('separator', { name: 'Today' })).toHaveCount(1);
  await expect(log.locator('.message.grouped')).toHaveCount(2);
});
