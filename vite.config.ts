import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  // Relative base: the built dist/ folder works from any URL path.
  base: './',
  plugins: [
    svelte(),
    // Installable app whose service worker precaches everything the app needs (pages, workers,
    // model code, bundled texture exemplars), so after one visit it works with the network off.
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      manifest: {
        name: 'SynthScope',
        short_name: 'SynthScope',
        description: 'Train microscopy-image networks from synthetic data, in the browser',
        theme_color: '#1d2330',
        background_color: '#f5f6f8',
        display: 'standalone',
        start_url: './',
        icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,json,webmanifest,wasm}'],
        // The training worker bundles TF.js (about 2 MB).
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        // Take control of the page that installed it, so the first visit already counts.
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2500 },
  test: { include: ['tests/unit/**/*.test.ts'], environment: 'node' },
});
