import './style.css';
import { fill, h, errorBox, loading } from './dom.js';
import { projectsPage } from './pages/projects.js';
import { currentUser, SigningIn, session } from './session.js';

/** A page: fills `main`; `signal` aborts when the user navigates away. */
export type PageRender = (
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
) => Promise<void> | void;

const routes: { pattern: RegExp; keys: string[]; load: () => Promise<PageRender> }[] = [];
const route = (path: string, load: () => Promise<PageRender>) => {
  const keys: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:(\w+)/g, (_m, k: string) => {
      keys.push(k);
      return '([^/]+)';
    })}/?$`,
  );
  routes.push({ pattern, keys, load });
};

// Pages are small modules loaded when opened (the file viewer's with igv.js); the projects list,
// where most visits start, is in the main bundle, so a first load waits for one script less.
route('/app', async () => projectsPage);
route('/app/projects/:id', () => import('./pages/project.js').then((m) => m.projectPage));
route('/app/projects/:id/:tab', () => import('./pages/project.js').then((m) => m.projectPage));
route('/app/samples/:id', () => import('./pages/dataset.js').then((m) => m.samplePage));
route('/app/appresults/:id', () => import('./pages/dataset.js').then((m) => m.appResultPage));
route('/app/runs', () => import('./pages/runs.js').then((m) => m.runsPage));
route('/app/runs/:id', () => import('./pages/run.js').then((m) => m.runPage));
route('/app/files/:id', () => import('./pages/viewer.js').then((m) => m.viewerPage));
route('/app/search', () => import('./pages/search.js').then((m) => m.searchPage));

const main = document.getElementById('main')!;
let current: AbortController | undefined;

async function render(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const path = location.pathname.replace(/\/+$/, '') || '/app';
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = Object.fromEntries(new URLSearchParams(location.search));
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
    fill(main, loading());
    try {
      const page = await r.load();
      await page(main, params, controller.signal);
    } catch (error) {
      // Aborted: another page took over. Signing in: the browser is on its way to /signin.
      if (controller.signal.aborted || error instanceof SigningIn) return;
      fill(main, h('h1', {}, 'That did not work'), errorBox(error));
    }
    return;
  }
  fill(main, h('h1', {}, 'Not found'), h('p', {}, 'There is no page here.'));
}

/** Navigates inside the app without a page load. */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  void render().then(() => main.focus({ preventScroll: true }));
}

document.addEventListener('click', (event) => {
  const a = (event.target as Element | null)?.closest?.('a');
  if (!a || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/app')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => void render());

// The global search box: "/" focuses it from anywhere (except while typing elsewhere).
const search = document.getElementById('global-search') as HTMLInputElement;
document.getElementById('search-form')!.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = search.value.trim();
  if (q) navigate(`/app/search?q=${encodeURIComponent(q)}`);
});
document.addEventListener('keydown', (event) => {
  const t = event.target as HTMLElement;
  if (event.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable) {
    event.preventDefault();
    search.focus();
  }
});

void (async () => {
  // The page starts at once: its API calls wait for the session themselves, which is usually in
  // the page already (the hub inlines it, see session.ts), else one request away.
  const rendered = render();
  // A project opened through a share link (`?link=`) by someone not signed in: the page reads
  // with the link's secret alone (docs/ui.md), so it must not send them to sign in.
  const viaLink =
    currentUser === undefined &&
    /^\/app\/projects\/[^/]+/.test(location.pathname) &&
    new URLSearchParams(location.search).has('link');
  if (viaLink) {
    fill(
      document.getElementById('who')!,
      'Reading through a share link ',
      h(
        'a',
        { href: `/signin?next=${encodeURIComponent(location.pathname + location.search)}` },
        'Sign in',
      ),
    );
    await rendered;
    performance.mark('seqhub:first-render');
    return;
  }
  try {
    const { user } = await session();
    fill(
      document.getElementById('who')!,
      `Signed in as ${user.Email} `,
      h('a', { href: '/signin/done' }, 'Account'),
    );
  } catch (error) {
    if (error instanceof SigningIn) return;
    current?.abort();
    fill(main, h('h1', {}, 'Cannot reach the hub'), errorBox(error));
    return;
  }
  await rendered;
  // Read by test/ui: navigation start to the first page rendered with its data.
  performance.mark('seqhub:first-render');
})();
