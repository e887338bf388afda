import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { generateSmall } from './steps';

test.setTimeout(240_000);
test.use({ serviceWorkers: 'allow' });

const DIST = resolve('dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.md': 'text/markdown',
};

/** A static host as GitHub Pages or a bucket would be: the built files, their types, and no isolation (or any other) headers. */
let server: Server;
let origin: string;
const served: string[] = [];

test.beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    served.push(path);
    const file = normalize(join(DIST, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(DIST)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** `crossOriginIsolated` of the page, or null while it is between documents (the reload). */
const isolated = (page: Page) => page.evaluate(() => crossOriginIsolated).catch(() => null);

test('on a static host without isolation headers the service worker isolates the page after one reload, and offline too', async ({ page, context }) => {
  const first = await page.goto(`${origin}/`);
  expect(first?.headers()['cross-origin-opener-policy']).toBeUndefined();
  expect(first?.headers()['cross-origin-embedder-policy']).toBeUndefined();

  // The first load cannot be isolated; once the worker is active the page reloads itself, once.
  await expect.poll(() => isolated(page), { timeout: 60_000 }).toBe(true);
  await expect(page.getByRole('heading', { name: 'SynthScope' })).toBeVisible();
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');
  // No reload loop: a mark on this document is still there a moment later.
  await page.evaluate(() => Object.assign(window, { stillHere: true }));
  await page.waitForTimeout(2_000);
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  expect(served.filter((p) => p === '/' || p === '/index.html').length).toBeLessThanOrEqual(2); // first load + precache

  // The training worker is isolated too: WebAssembly is not held to one thread for lack of isolation.
  await generateSmall(page, 'cracks', 16);
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.locator('select[name=depth]').selectOption('10');
  await page.locator('input[name=width]').fill('0.125');
  await page.locator('input[name=batch]').fill('4');
  await page.locator('select[name=backend]').selectOption('wasm');
  await page.getByRole('button', { name: 'Find learning rate' }).click();
  await expect(page.getByTestId('backend')).toContainText('Backend: wasm');
  const threads = Math.max(1, Math.floor((await page.evaluate(() => navigator.hardwareConcurrency)) / 2));
  await expect(page.getByTestId('backend')).toContainText(`${threads} thread${threads === 1 ? '' : 's'}`);
  if (threads === 1) await expect(page.getByText(/WebAssembly runs on 1 thread: it takes one per physical core/)).toBeVisible();
  await expect(page.getByText(/not cross-origin isolated/)).toHaveCount(0);
  await expect(page.getByTestId('lr-suggestion')).toContainText('Suggested max LR', { timeout: 120_000 });

  // Offline, the precached page still comes with the headers.
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'SynthScope' })).toBeVisible();
  expect(await isolated(page)).toBe(true);
});
