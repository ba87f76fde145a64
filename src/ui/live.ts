import type { Resource, SeqhubClient } from '../sdk/index.js';
import { badge, date, fill, h } from './dom.js';

/** How often running AppSessions are polled (docs/ui.md "Live status"). */
export const LIVE_POLL_MS = 3000;

const columns = ['Name', 'Application', 'Status', 'Summary', 'Created'];

/** One row per AppSession; the status and summary cells are updated in place by `watchSessions`. */
export function sessionsTable(sessions: Resource[], empty: string): HTMLElement {
  if (sessions.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'table',
    { class: 'sessions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      sessions.map((s) =>
        h(
          'tr',
          { 'data-session': String(s.Id) },
          h('td', {}, String(s.Name)),
          h('td', {}, String(s.Application?.Name ?? '')),
          h('td', { class: 'status' }, badge(s.Status)),
          h('td', { class: 'summary' }, String(s.StatusSummary ?? '')),
          h('td', {}, date(s.DateCreated)),
        ),
      ),
    ),
  );
}

/**
 * While any of `sessions` is Running, asks the hub for the running ones every `ms` and updates
 * their rows under `root` (badge and StatusSummary) without re-rendering the page. Stops when
 * none is Running or when `signal` aborts (the user left the page). `onChange` hears of every
 * session whose status changed. A failed poll is retried at the next tick.
 */
export function watchSessions(
  client: SeqhubClient,
  root: HTMLElement,
  sessions: Resource[],
  signal: AbortSignal,
  onChange?: (session: Resource) => void,
  ms = LIVE_POLL_MS,
): void {
  const status = new Map(sessions.map((s) => [String(s.Id), String(s.Status)]));
  const running = () => [...status].filter(([, st]) => st === 'Running').map(([id]) => id);
  if (running().length === 0) return;
  root.setAttribute('data-live', 'polling');
  const tick = async () => {
    if (signal.aborted) return;
    const now = await Promise.all(
      running().map((id) => client.getAppSessionRaw(id, signal).catch(() => undefined)),
    );
    if (signal.aborted) return;
    for (const s of now) {
      if (!s) continue;
      const row = root.querySelector(`tr[data-session="${CSS.escape(String(s.Id))}"]`);
      if (row) {
        fill(row.querySelector('td.status')!, badge(s.Status));
        fill(row.querySelector('td.summary')!, String(s.StatusSummary ?? ''));
      }
      if (status.get(String(s.Id)) !== s.Status) {
        status.set(String(s.Id), String(s.Status));
        onChange?.(s);
      }
    }
    if (running().length === 0) {
      root.setAttribute('data-live', 'stopped');
      return;
    }
    setTimeout(() => void tick(), ms);
  };
  setTimeout(() => void tick(), ms);
}
