/**
 * Lists that follow other tabs live: a job that stores a record announces it on a BroadcastChannel
 * named after the store, and each tab re-reads its list when told. A channel does not hear its own
 * messages, so a tab is told only of other tabs' changes (its own views refresh themselves).
 */

/** Re-reads come at most this often: a generation stores a batch many times a second, and each re-read reads the whole list. */
const THROTTLE_MS = 300;

export interface ChangeChannel {
  /** Tells other tabs that the record `id` was stored. */
  announce(id: string): void;
  /** Calls `onChange` (throttled) when another tab announces a change; returns a function that stops listening. */
  listen(onChange: () => void): () => void;
}

export function changeChannel(name: string): ChangeChannel {
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`synthscope-${name}`);
  return {
    announce: (id) => channel?.postMessage(id),
    listen(onChange) {
      if (!channel) return () => undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const listener = () => { timer ??= setTimeout(() => { timer = undefined; onChange(); }, THROTTLE_MS); };
      channel.addEventListener('message', listener);
      return () => {
        clearTimeout(timer);
        channel.removeEventListener('message', listener);
      };
    },
  };
}
