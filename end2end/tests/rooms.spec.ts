// Rooms in three and four browsers: creating, chatting live, joining, privacy.
import { Browser, expect, Page, test } from './fixtures';
import { createRoom, hydrated, person, say, signUp, uniqueName } from './helpers';

test('three people chat live in a private room that a fourth cannot see', async ({ browser }) => {
  // Four browsers and four sign-ups (argon2) on two cores: the setup alone
  // took 27 s of the default 30 in a CI run right after Chromium was installed.
  test.slow();
  const [amy, bob, cyd, dan] = await Promise.all(
    ['amy', 'bob', 'cyd', 'dan'].map((p) => person(browser, p)),
  );
  for (const p of [bob, cyd, dan]) await hydrated(p.page);
  const room = uniqueName('team');
  await createRoom(amy.page, room, `${bob.name}, ${cyd.name}`, false);
  const address = new URL(amy.page.url()).pathname;

  // The room appears live in the members' sidebars; they open it.
  for (const p of [bob, cyd]) {
    const link = p.page.getByRole('region', { name: 'Rooms' }).getByRole('link', { name: room });
    await link.click();
    await expect(p.page).toHaveURL(address);
    await expect(p.page.getByText(`${amy.name} created the room`)).toBeVisible();
  }

  await say(amy.page, 'hello team');
  await say(bob.page, 'hi amy');
  await say(cyd.page, 'hey both');
  for (const p of [amy, bob, cyd]) {
    const log = p.page.getByRole('log');
    await expect(log.locator('.message-body')).toHaveText(['hello team', 'hi amy', 'hey both']);
  }
  // Others' messages carry their names once the members are known.
  await bob.page.getByRole('button', { name: '3 members' }).click();
  await expect(bob.page.getByRole('complementary', { name: 'Members' }).getByText(cyd.name)).toBeVisible();
  await expect(bob.page.locator('.message', { hasText: 'hey both' }).locator('.sender')).toHaveText(cyd.name);

  // Dan does not find it (the public room beside it is the sentinel that
  // the list has loaded), and its address shows nothing of it.
  const beside = uniqueName('open');
  await createRoom(amy.page, beside, '', true);
  await dan.page.getByRole('link', { name: 'Browse rooms' }).click();
  await expect(dan.page.getByRole('button', { name: `Join ${beside}` })).toBeVisible();
  await expect(dan.page.getByText(room)).toHaveCount(0);
  await dan.page.goto(address);
  await hydrated(dan.page);
  await expect(dan.page.getByRole('alert')).toContainText('not found');
  await expect(dan.page.getByText('hello team')).toHaveCount(0);
});

test('joining a public room from Browse rooms, seen live by its members', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await hydrated(bob.page);
  const room = uniqueName('open');
  await createRoom(amy.page, room, '', true);
  await expect(amy.page.getByRole('button', { name: '1 member' })).toBeVisible();

  await bob.page.getByRole('link', { name: 'Browse rooms' }).click();
  await bob.page.getByRole('button', { name: `Join ${room}` }).click();
  await expect(bob.page.getByRole('heading', { name: room })).toBeVisible();
  await expect(bob.page.getByText(`${bob.name} joined`)).toBeVisible();
  // Amy sees the join and the new count without reloading.
  await expect(amy.page.getByText(`${bob.name} joined`)).toBeVisible();
  await expect(amy.page.getByRole('button', { name: '2 members' })).toBeVisible();
  await say(bob.page, 'glad to be here');
  await expect(amy.page.getByRole('log').getByText('glad to be here')).toBeVisible();
  // The room is unread for nobody who has it open; Bob leaves.
  await bob.page.getByRole('button', { name: '2 members' }).click();
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await expect(bob.page).toHaveURL('/');
  await expect(amy.page.getByText(`${bob.name} left`)).toBeVisible();
});

test('old conversation links lead to the direct conversation', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/chats/${bob.name}`);
  await expect(amy.page).toHaveURL(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await expect(amy.page.getByRole('heading', { name: bob.name })).toBeVisible();
});

test('on a phone the sidebar and a room are separate screens', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await signUp(page, uniqueName('pho'));
  await expect(page).toHaveURL('/');
  const room = uniqueName('pocket');
  await createRoom(page, room, '', true);
  await expect(page.getByRole('navigation', { name: 'Conversations' })).toBeHidden();
  await page.getByRole('link', { name: 'Back to conversations' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('navigation', { name: 'Conversations' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Rooms' }).getByRole('link', { name: room })).toBeVisible();
});

test('the sidebar filter narrows rooms and people alike', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  const first = uniqueName('alpha');
  const second = uniqueName('beta');
  await createRoom(amy.page, first, '', true);
  await createRoom(amy.page, second, '', true);
  const rooms = amy.page.getByRole('region', { name: 'Rooms' });
  const people = amy.page.getByRole('region', { name: 'Direct messages' });
  await expect(rooms.getByRole('link', { name: first })).toBeVisible();
  await expect(rooms.getByRole('link', { name: second })).toBeVisible();
  const filter = amy.page.getByRole('searchbox', { name: 'Filter conversations' });
  await filter.fill(first.slice(0, 12));
  await expect(rooms.getByRole('link', { name: first })).toBeVisible();
  await expect(rooms.getByRole('link', { name: second })).toBeHidden();
  await expect(people.getByRole('link', { name: new RegExp(bob.name) })).toBeHidden();
  await filter.fill(bob.name);
  await expect(people.getByRole('link', { name: new RegExp(bob.name) })).toBeVisible();
  await expect(rooms.getByRole('link', { name: first })).toBeHidden();
  await filter.fill('');
  await expect(rooms.getByRole('link', { name: second })).toBeVisible();
});
