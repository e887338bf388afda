import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/app.css';
import { isolateOnceServiceWorkerIsActive } from './app/isolation';

mount(App, { target: document.getElementById('app')! });

// The service worker precaches the app for offline use; new versions take over on the next load.
// On a host without the isolation headers it adds them, and the first visit reloads once to get them.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  import('virtual:pwa-register').then(({ registerSW }) => registerSW({ immediate: true }));
  isolateOnceServiceWorkerIsActive();
}
