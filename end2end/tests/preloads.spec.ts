// A page served at a lazily loaded route names the wasm chunks it needs
// (`<link rel="preload">`), so the browser fetches them while the main
// bundle loads. Each page must name exactly its own: pages render
// concurrently on the server, and a page that named another page's chunks
// made the browser fetch code nobody asked for (`/` fetched "Browse rooms").
import { expect, test } from './fixtures';
import { PASSWORD, uniqueName } from './helpers';

/** The split chunks a page's HTML preloads, sorted. */
function preloads(html: string): string[] {
  return [...html.matchAll(/<link[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => tag.includes('rel="preload"'))
    .map((tag) => tag.match(/href="([^"]*)"/)?.[1] ?? '')
    .filter((href) => /\/pkg\/(split|chunk)_/.test(href))
    .sort();
}

test('each page preloads its own chunks, also while many render at once', async ({ request }) => {
  const origin = new URL((await request.get('/login')).url()).origin;
  const name = uniqueName('pre');
  const signup = await request.post('/api/signup', {
    headers: { Origin: origin, Accept: 'application/json' },
    form: { username: name, email: `${name}@example.org`, password: PASSWORD, password_again: PASSWORD },
  });
  expect(signup.status(), await signup.text()).toBe(200);

  const page = async (path: string) => {
    const res = await request.get(path, { headers: { Accept: 'text/html' } });
    expect(res.status(), path).toBe(200);
    return preloads(await res.text());
  };
  // Each page alone first: what it should name.
  const own: Record<string, string[]> = {
    '/': await page('/'),
    '/rooms': await page('/rooms'),
    '/rooms/new': await page('/rooms/new'),
  };
  expect(own['/'], 'the chat view is in the main bundle').toEqual([]);
  expect(own['/rooms'].some((href) => href.includes('browse_route'))).toBe(true);
  expect(own['/rooms/new'].some((href) => href.includes('new_room_route'))).toBe(true);

  // Then 16 at a time, the three pages interleaved.
  const paths = Object.keys(own);
  const wrong: string[] = [];
  await Promise.all(
    Array.from({ length: 16 }, async (_, worker) => {
      for (let i = 0; i < 24; i++) {
        const path = paths[(worker + i) % paths.length];
        const got = await page(path);
        if (JSON.stringify(got) !== JSON.stringify(own[path])) {
          wrong.push(`${path}: ${got.length} preloads instead of ${own[path].length}`);
        }
      }
    }),
  );
  expect(wrong, `${wrong.length} of 384 pages named other chunks than their own`).toEqual([]);
});
