/**
 * The app's service worker (built by vite-plugin-pwa's injectManifest, which fills in
 * `self.__WB_MANIFEST`). It does what the generated one did: precache every file the app needs
 * (pages, workers, TF.js and its .wasm binaries, bundled exemplars and sample), serve navigations
 * from the precached index.html so the app opens offline, drop caches of older versions, and take
 * over at once (new versions reload the page: registerType 'autoUpdate'). And one thing more: it
 * adds the cross-origin isolation headers to every same-origin response it serves, so that on a
 * static host that sends none the page and its workers are cross-origin isolated and WebAssembly
 * can use threads (see src/app/isolation.ts for the one reload that takes the first visit there).
 */
import { clientsClaim, type WorkboxPlugin } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import { withIsolationHeaders } from './isolation';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

const isolation: WorkboxPlugin = { handlerWillRespond: async ({ response }) => withIsolationHeaders(response) };

self.skipWaiting();
clientsClaim();

// The precache strategy also answers the navigation route below (createHandlerBoundToURL).
addPlugins([isolation]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
// Same-origin files outside the precache (source notes, anything added later) come from the
// network as before, with the headers.
registerRoute(({ url }) => url.origin === self.location.origin, new NetworkOnly({ plugins: [isolation] }));
