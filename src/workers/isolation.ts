/**
 * Cross-origin isolation (SharedArrayBuffer), which WebAssembly threads need. `npm start` and the
 * dev server send these headers themselves (vite.config.ts); on a static host that sends none, the
 * app's service worker (sw.ts) adds them to every same-origin response it serves, so the page is
 * isolated from the first load it controls on. `require-corp` rather than `credentialless`: the
 * only cross-origin fetch (the opt-in pretrained encoder) is a CORS request, which require-corp
 * allows, and more browsers know require-corp.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;

/**
 * The response with the isolation headers set, every other header, the status and the body kept.
 * Responses that cannot be rebuilt (opaque, opaque redirects and network errors: status 0) and
 * responses that already carry both headers are returned as they are.
 */
export function withIsolationHeaders(response: Response): Response {
  if (response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect' || response.type === 'error') return response;
  const entries = Object.entries(ISOLATION_HEADERS);
  if (entries.every(([name, value]) => response.headers.get(name) === value)) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of entries) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
