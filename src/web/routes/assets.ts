import type { App } from '../../http.ts';
import { mermaidScript } from '../../manager/postmortem-page.ts';

/**
 * The app's only script, progressive enhancement: the timeline appends new entries as the
 * server sends them (EventSource), announcing them politely. Everything works without it.
 */
export const APP_SCRIPT = `(() => {
  const list = document.querySelector('ol.timeline[data-events]');
  if (!list || !('EventSource' in window)) return;
  const events = new EventSource(list.getAttribute('data-events'));
  events.addEventListener('entry', (e) => {
    const { id, html } = JSON.parse(e.data);
    if (document.getElementById('e-' + id)) return;
    list.insertAdjacentHTML('beforeend', html);
  });
  window.addEventListener('pagehide', () => events.close());
})();
`;

/** `GET /app/assets/app.js` and `/app/assets/mermaid.js` (the installed mermaid package's browser bundle). */
export function registerAssetRoutes(app: App): void {
  app.get('/app/assets/app.js', (c) =>
    c.body(APP_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }),
  );
  app.get('/app/assets/mermaid.js', (c) =>
    c.body(new Uint8Array(mermaidScript()), 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' }),
  );
}
