import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * The app's Content-Security-Policy, sent with every response of `npm start` (vite preview); a
 * static host should send the same header. Scripts and workers only from the app's own files
 * (WebAssembly compilation allowed, for the WASM training backend; blob: for the WebAssembly
 * thread workers, which TF.js starts from Blobs the app itself makes); no inline script; fetches only
 * to the app's origin and to the default pretrained encoder's host (storage.googleapis.com), the one
 * opt-in network use. A pretrained encoder elsewhere needs its origin added to connect-src here.
 * Styles allow inline attributes (Svelte sets style="…" for bars and charts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval' blob:", "worker-src 'self' blob:", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:", "connect-src 'self' https://storage.googleapis.com", "font-src 'self'", "object-src 'none'",
  "base-uri 'self'", "form-action 'none'", "frame-ancestors 'none'", "manifest-src 'self'",
].join('; ');

/**
 * Cross-origin isolation (SharedArrayBuffer), which WebAssembly threads need: sent by `npm start`
 * and the dev server; on a static host without them the service worker adds them (one reload on the
 * first visit). Without isolation the app trains on one WebAssembly thread and says so. The service
 * worker's copy is in src/workers/isolation.ts (a unit test keeps the two equal).
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * TF.js' threaded WebAssembly build (4.22, no later release) starts each pthread worker from a Blob
 * holding `factory.toString()`. Bundled, that function refers to names outside itself (the
 * bundler's and minifier's), so every pthread worker failed ("e is not defined"). This gives the
 * factory a toString that returns the untouched Emscripten file, self-contained, so the workers
 * can run it.
 */
function wasmThreadsFromBundle(): Plugin {
  return {
    name: 'synthscope-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id.split('?')[0])) return null;
      const standalone = `(() => {\n${code}\nreturn WasmBackendModuleThreadedSimd;\n})()`;
      return { code: `${code}\n;WasmBackendModuleThreadedSimd.toString = () => ${JSON.stringify(standalone)};\n`, map: null };
    },
  };
}

export default defineConfig({
  // Relative base: the built dist/ folder works from any URL path.
  base: './',
  plugins: [
    wasmThreadsFromBundle(),
    svelte(),
    // Installable app whose service worker precaches everything the app needs (pages, workers,
    // model code and its .wasm binaries, bundled texture exemplars), so after one visit it works
    // with the network off. Our own worker source (src/workers/sw.ts, injectManifest) rather than a
    // generated one, because it also adds the cross-origin isolation headers for static hosts; the
    // README (Offline and sharing) says why.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/workers',
      filename: 'sw.ts',
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
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,json,webmanifest,wasm}'],
        // The training worker bundles TF.js (about 3 MB).
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        // One classic script: registered without { type: 'module' }, as before.
        rollupFormat: 'iife',
      },
    }),
  ],
  worker: { format: 'es', plugins: () => [wasmThreadsFromBundle()] },
  // File types are never guessed from content by the browser; the app sniffs what it reads itself.
  preview: { headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', ...ISOLATION_HEADERS } },
  server: { headers: ISOLATION_HEADERS },
  build: { target: 'es2022', chunkSizeWarningLimit: 2500 },
  test: { include: ['tests/unit/**/*.test.ts'], environment: 'node' },
});
