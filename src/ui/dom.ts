/** Small DOM helpers: every text goes in as text (never parsed as HTML). */

type Child = Node | string | number | null | undefined | false | Child[];
// Listeners take the specific event type (DragEvent, KeyboardEvent ...).
type Listener = (event: any) => void;
type Attrs = Record<string, string | number | boolean | Listener | undefined | null>;

/** `h('a', { href }, 'text')`: an element; `on*` attributes are listeners, booleans toggle. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2), v as EventListener);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children.flat(Infinity as 1) as Child[]) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? (c as Node) : document.createTextNode(String(c)));
  }
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A link that routes inside the app. */
export const link = (href: string, ...children: Child[]) => h('a', { href }, ...children);

export function bytes(n: unknown): string {
  const v = Number(n);
  if (!Number.isFinite(v)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = v;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}

export const date = (iso: unknown) =>
  typeof iso === 'string' && iso ? new Date(iso).toLocaleString() : '';

export const badge = (status: unknown) =>
  h('span', { class: `badge ${String(status)}` }, String(status ?? ''));

/** A table with a header row; `empty` shows when there are no rows. */
export function table(headers: Child[], rows: Child[][], empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { scope: 'col' }, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

/** An error box (role=alert, so screen readers announce it). */
export const errorBox = (error: unknown) =>
  h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));

export const loading = () => h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading…');
