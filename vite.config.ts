import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * The app's Content-Security-Policy, sent with every response of `npm start` (vite preview); a
 * static host should send the same header. Scripts and workers only from the app's own files
 * (WebAssembly compilation allowed, for the WASM training backend); no inline script; fetches only
 * to the app's origin and to the default pretrained encoder's host (storage.googleapis.com), the one
 * opt-in network use. A pretrained encoder elsewhere needs its origin added to connect-src here.
 * Styles allow inline attributes (Svelte sets style="…" for bars and charts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:", "connect-src 'self' https://storage.googleapis.com", "font-src 'self'", "object-src 'none'",
  "base-uri 'self'", "form-action 'none'", "frame-ancestors 'none'", "manifest-src 'self'",
].join('; ');

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
  // File types are never guessed from content by the browser; the app sniffs what it reads itself.
  preview: { headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' } },
  build: { target: 'es2022', chunkSizeWarningLimit: 2500 },
  test: { include: ['tests/unit/**/*.test.ts'], environment: 'node' },
});
