import type { Resource } from '../../sdk/index.js';
import { fill, h, link, table } from '../dom.js';
import { hub } from '../session.js';

const where = (hit: Resource): [string, string] => {
  const type = String(hit.Type);
  const item = hit[type] as Resource;
  switch (type) {
    case 'Project':
      return [`/app/projects/${item.Id}`, item.Name];
    case 'Sample':
      return [`/app/samples/${item.Id}`, item.Name];
    case 'AppResult':
      return [`/app/appresults/${item.Id}`, item.Name];
    case 'Run':
      return [`/app/runs/${item.Id}`, item.Name ?? item.ExperimentName];
    default:
      return [`/app/files/${item.Id}`, item.Path ?? item.Name];
  }
};

/** Results of the global search box (`GET search`). */
export async function searchPage(
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
) {
  const q = params.q?.trim() ?? '';
  const input = document.getElementById('global-search') as HTMLInputElement | null;
  if (input && input.value !== q) input.value = q;
  if (!q) {
    fill(main, h('h1', {}, 'Search'), h('p', { class: 'muted' }, 'Type in the search box above.'));
    return;
  }
  const page = await hub.searchRaw(q, { limit: 100, signal });
  fill(
    main,
    h('h1', {}, `Search: ${q}`),
    h(
      'p',
      { class: 'muted', 'aria-live': 'polite' },
      `${page.totalCount} result${page.totalCount === 1 ? '' : 's'}`,
    ),
    table(
      ['Name', 'Type'],
      page.items.map((hit) => {
        const [href, name] = where(hit);
        return [link(href, String(name)), String(hit.Type)];
      }),
      `Nothing matches “${q}”.`,
    ),
  );
}
