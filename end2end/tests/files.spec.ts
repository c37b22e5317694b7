// Files: dropping and pasting images that the other person sees live, the
// image viewer, a progress bar that moves, and an oversize file refused
// with its reason.
import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { createAdmin, hydrated, logIn, person, say, uniqueName } from './helpers';

// A 64 × 48 PNG (one colour), as base64.
async function pngBase64(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const canvas = new OffscreenCanvas(64, 48);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#3b82f6';
    ctx.fillRect(0, 0, 64, 48);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    bytes.forEach((b) => (s += String.fromCharCode(b)));
    return btoa(s);
  });
}

/** Dispatches a drop of a file named `name` on the conversation, or a paste on the composer. */
async function give(page: Page, how: 'drop' | 'paste', name: string, base64: string) {
  await page.evaluate(
    ({ how, name, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'image/png' }));
      if (how === 'drop') {
        const target = document.querySelector('section.conversation')!;
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      } else {
        const box = document.querySelector('textarea[aria-label="Message"]')!;
        box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      }
    },
    { how, name, base64 },
  );
}

test('dropped and pasted images reach the other person live and open in the viewer', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'photos coming');
  await bob.page.goto(`/dm/${amy.name}`);
  await hydrated(bob.page);
  await expect(bob.page.getByRole('log').getByText('photos coming')).toBeVisible();
  const png = await pngBase64(amy.page);
  await expect(amy.page.getByLabel('Attach files')).toBeEnabled();

  const attachments = amy.page.getByRole('list', { name: 'Attachments' });
  await give(amy.page, 'drop', 'dropped.png', png);
  await expect(attachments.getByRole('listitem').filter({ hasText: 'dropped.png' }).getByRole('button', { name: 'Remove' })).toBeVisible();
  await give(amy.page, 'paste', 'pasted.png', png);
  await expect(attachments.getByRole('listitem').filter({ hasText: 'pasted.png' }).getByRole('button', { name: 'Remove' })).toBeVisible();
  const box = amy.page.getByRole('textbox', { name: 'Message' });
  await box.fill('two pictures');
  await box.press('Enter');
  await expect(attachments.getByRole('listitem')).toHaveCount(0);

  const log = bob.page.getByRole('log');
  const dropped = log.getByRole('button', { name: 'Open image dropped.png' });
  await expect(dropped).toBeVisible();
  await expect(log.getByRole('button', { name: 'Open image pasted.png' })).toBeVisible();
  await expect(dropped.locator('img')).toHaveJSProperty('complete', true);
  expect(await dropped.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);

  await dropped.click();
  const viewer = bob.page.getByRole('dialog', { name: 'dropped.png' });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Close' })).toBeFocused();
  await bob.page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);
});

test('the progress bar moves, and an oversize file says why', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'a big one');
  await expect(amy.page.getByLabel('Attach files')).toBeEnabled();

  // A slow uplink (4 MiB at 2 MiB/s) so the upload can be watched.
  const cdp = await amy.page.context().newCDPSession(amy.page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 2 * 1024 * 1024,
  });
  const picker = amy.page.getByLabel('Attach files');
  await picker.setInputFiles({ name: 'video.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4 * 1024 * 1024, 7) });
  const bar = amy.page.getByRole('progressbar', { name: 'Uploading video.bin' });
  await expect(bar).toBeVisible();
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
  await expect(amy.page.getByRole('button', { name: 'Send' })).toBeDisabled();
  const item = amy.page.getByRole('list', { name: 'Attachments' }).getByRole('listitem').filter({ hasText: 'video.bin' });
  await expect(item.getByRole('button', { name: 'Remove' })).toBeVisible({ timeout: 15_000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await amy.page.getByRole('button', { name: 'Send' }).click();
  await expect(amy.page.getByRole('log').getByRole('link', { name: /video\.bin/ })).toBeVisible();

  await picker.setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(6 * 1024 * 1024, 1) });
  const huge = amy.page.getByRole('list', { name: 'Attachments' }).getByRole('listitem').filter({ hasText: 'huge.bin' });
  await expect(huge.getByRole('alert')).toContainText('Too large');
  await expect(huge.getByRole('button', { name: 'Retry' })).toBeVisible();
});

test('an admin sees storage per person and removes a file, which goes live', async ({ browser }) => {
  const [amy, bob] = await Promise.all(['amy', 'bob'].map((p) => person(browser, p)));
  await amy.page.goto(`/dm/${bob.name}`);
  await hydrated(amy.page);
  await say(amy.page, 'the report');
  // Files go to a conversation: the first message opened it.
  await expect(amy.page.getByLabel('Attach files')).toBeEnabled();
  await amy.page.getByLabel('Attach files').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\n%kanect test\n') });
  await expect(amy.page.getByRole('list', { name: 'Attachments' }).getByRole('button', { name: 'Remove' })).toBeVisible();
  await amy.page.getByRole('button', { name: 'Send' }).click();
  const link = amy.page.getByRole('log').getByRole('link', { name: /report\.pdf/ });
  await expect(link).toBeVisible();

  const rootName = uniqueName('root');
  const password = 'admin-Passphrase-for-kanect-7';
  createAdmin(rootName, password);
  const admin = await (await browser.newContext()).newPage();
  await logIn(admin, rootName, password);
  await expect(admin).toHaveURL('/');
  await admin.goto('/admin/files');
  await hydrated(admin);
  await expect(admin.getByRole('table', { name: 'Storage by person' }).getByRole('row', { name: new RegExp(amy.name) })).toBeVisible();
  const row = admin.getByRole('table', { name: 'Largest files' }).getByRole('row', { name: /report\.pdf/ });
  await row.getByRole('button', { name: 'Remove' }).click();
  await admin.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(admin.getByText('report.pdf removed.')).toBeVisible();
  await expect(link).toHaveCount(0);
});
