/**
 * On a static host that sends no isolation headers, the first visit loads the page before the
 * service worker (src/workers/sw.ts, which adds them) controls it, so that page is not
 * cross-origin isolated and WebAssembly would run on one thread until the next load. This reloads
 * it once, as soon as the worker is active. Never on a page that is isolated already (npm start,
 * or any load the worker served), never where the browser has no cross-origin isolation to give,
 * and at most once per tab session: if the reload did not isolate the page (a browser that ignores
 * headers from service workers, storage blocked), it stays single-threaded and the Train view says
 * why, rather than reloading again and again.
 */
const RELOADED_KEY = 'synthscope.isolation-reload';

export interface IsolationState {
  /** `crossOriginIsolated` of this page. */
  isolated: boolean;
  /** The browser knows cross-origin isolation (`crossOriginIsolated` exists) in a secure context. */
  supported: boolean;
  /** A service worker of ours is active for this page's scope. */
  workerActive: boolean;
  /** This page was controlled by a service worker when it loaded. */
  controlledAtLoad: boolean;
  /** This tab already reloaded for isolation (or cannot record that it did). */
  alreadyReloaded: boolean;
  /**
   * The user has clicked, typed or dropped something on this page. The worker is active only once
   * the whole precache is in (seconds to minutes on a slow link), and a reload then could throw
   * away a recipe being edited or a dataset being made; such a page stays single-threaded until
   * its next load, which the worker serves isolated.
   */
  interacted: boolean;
}

/**
 * Whether one reload would make the page isolated: the worker is active and this load did not go
 * through it. A page that was controlled at load and still is not isolated had an older worker
 * (without the headers); the update's own reload (registerType 'autoUpdate') takes it there.
 */
export function shouldReloadForIsolation(s: IsolationState): boolean {
  return !s.isolated && s.supported && s.workerActive && !s.controlledAtLoad && !s.alreadyReloaded && !s.interacted;
}

function reloadedBefore(): boolean {
  try {
    return sessionStorage.getItem(RELOADED_KEY) !== null;
  } catch {
    return true; // no session storage: no guard against a loop, so no reload
  }
}

/** Call once at start-up, in production, where the browser has service workers. */
export function isolateOnceServiceWorkerIsActive(): void {
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  if (isolated) {
    try {
      sessionStorage.removeItem(RELOADED_KEY);
    } catch {
      // nothing to clear
    }
    return;
  }
  const supported = 'crossOriginIsolated' in globalThis && isSecureContext;
  const controlledAtLoad = !!navigator.serviceWorker.controller;
  if (!supported || controlledAtLoad || reloadedBefore()) return;
  let interacted = false;
  const touched = () => { interacted = true; };
  const events = ['pointerdown', 'keydown', 'drop'] as const;
  for (const e of events) addEventListener(e, touched, { capture: true, once: true });
  navigator.serviceWorker.ready.then(() => {
    for (const e of events) removeEventListener(e, touched, { capture: true });
    if (!shouldReloadForIsolation({ isolated, supported, workerActive: true, controlledAtLoad, alreadyReloaded: reloadedBefore(), interacted })) return;
    try {
      sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
    } catch {
      return;
    }
    location.reload();
  });
}
