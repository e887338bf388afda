import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Tests drive the system Chromium (never a downloaded browser), with WebGPU on (SwiftShader
// where there is no GPU). CHROMIUM_PATH overrides the location.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  throw new Error(
    `Chromium not found at ${chromium}. Install it with "sudo apt-get install -y chromium" ` +
      '(Debian/Ubuntu) or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
}

const port = Number(process.env.PORT ?? 4317);

export default defineConfig({
  testDir: 'tests/browser',
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    // The offline test turns the service worker on for itself; elsewhere it would only cache.
    serviceWorkers: 'block',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
  webServer: {
    // Serves the built app (npm run test:browser builds it first).
    command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
