import { describe, expect, it } from 'vitest';
import { ISOLATION_HEADERS, withIsolationHeaders } from '../../src/workers/isolation';
import { shouldReloadForIsolation, type IsolationState } from '../../src/app/isolation';
import { ISOLATION_HEADERS as SERVED_BY_NPM_START } from '../../vite.config';

describe('withIsolationHeaders (the service worker on a static host)', () => {
  it('adds the headers npm start and the dev server send', () => {
    expect(ISOLATION_HEADERS).toEqual(SERVED_BY_NPM_START);
  });

  it('adds COOP and COEP and keeps status, other headers and body', async () => {
    const original = new Response('<!doctype html>', {
      status: 200, statusText: 'OK',
      headers: { 'Content-Type': 'text/html', 'Content-Security-Policy': "default-src 'self'", 'Cross-Origin-Embedder-Policy': 'unsafe-none' },
    });
    const out = withIsolationHeaders(original);
    expect(out.status).toBe(200);
    expect(out.statusText).toBe('OK');
    expect(out.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(out.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(out.headers.get('content-type')).toBe('text/html');
    expect(out.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(await out.text()).toBe('<!doctype html>');
  });

  it('keeps error statuses and empty bodies', async () => {
    const missing = withIsolationHeaders(new Response('not here', { status: 404, statusText: 'Not Found' }));
    expect([missing.status, missing.statusText, await missing.text()]).toEqual([404, 'Not Found', 'not here']);
    expect(missing.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const unchanged = withIsolationHeaders(new Response(null, { status: 304 }));
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeNull();
  });

  it('returns a response that already has both headers, and a network error, as it is', () => {
    const isolated = new Response('x', { headers: ISOLATION_HEADERS });
    expect(withIsolationHeaders(isolated)).toBe(isolated);
    const error = Response.error();
    expect(withIsolationHeaders(error)).toBe(error);
  });
});

describe('shouldReloadForIsolation (the first visit on a static host)', () => {
  const firstVisit: IsolationState = { isolated: false, supported: true, workerActive: true, controlledAtLoad: false, alreadyReloaded: false, interacted: false };

  it('reloads once the worker is active on a page it did not serve', () => {
    expect(shouldReloadForIsolation(firstVisit)).toBe(true);
  });

  it('does not reload an isolated page, an unsupported browser, before the worker is active, a page the worker served, or twice', () => {
    expect(shouldReloadForIsolation({ ...firstVisit, isolated: true })).toBe(false);
    expect(shouldReloadForIsolation({ ...firstVisit, supported: false })).toBe(false);
    expect(shouldReloadForIsolation({ ...firstVisit, workerActive: false })).toBe(false);
    expect(shouldReloadForIsolation({ ...firstVisit, controlledAtLoad: true })).toBe(false);
    expect(shouldReloadForIsolation({ ...firstVisit, alreadyReloaded: true })).toBe(false);
    // A page the user has started working on is never reloaded under them.
    expect(shouldReloadForIsolation({ ...firstVisit, interacted: true })).toBe(false);
  });
});
