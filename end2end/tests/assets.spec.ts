// What a page loads exists, and is served as a CDN would: precompressed,
// with content-hashed names cached for a year; the page itself is not cached.
import { expect, test } from './fixtures';

test('the page references files that exist, precompressed and immutable', async ({ request }) => {
  const page = await request.get('/login');
  expect(page.status()).toBe(200);
  expect(page.headers()['cache-control']).toBe('no-cache');
  const html = await page.text();
  const assets = [...new Set([...html.matchAll(/\/pkg\/[^"']+/g)].map((m) => m[0]))];
  expect(assets.some((a) => a.endsWith('.wasm'))).toBe(true);
  expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
  expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
  // The log-in page is a lazily loaded route: its page also names the wasm
  // chunks it loads before hydrating (`split_…`, `chunk_…`).
  expect(assets.some((a) => /\/pkg\/(split|chunk)_[^/]+\.wasm$/.test(a))).toBe(true);
  for (const asset of assets) {
    expect(asset, 'names carry a content hash').toMatch(/\/pkg\/[A-Za-z0-9_]+\.[A-Za-z0-9_-]{8,}\.(wasm|js|css)$/);
    const res = await request.get(asset, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.status(), asset).toBe(200);
    expect(res.headers()['cache-control'], asset).toBe('public, max-age=31536000, immutable');
    expect(res.headers()['content-encoding'], asset).toBe('br');
  }
});
