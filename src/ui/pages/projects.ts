import { date, errorBox, fill, h, link, table } from '../dom.js';
import { navigate } from '../main.js';
import { hub } from '../session.js';

/** The signed-in user's projects: filter by name, sort by a column, create one. */
export async function projectsPage(
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const name = params.name ?? '';
  const sortBy = params.sort === 'DateCreated' ? 'DateCreated' : 'Name';
  const sortDir = params.dir === 'Desc' ? 'Desc' : 'Asc';
  // The API's Name filter is exact (docs/api-choices.md); people type part of a name, so the
  // filter is a case-insensitive substring over the list (up to 1000, the most one page holds).
  const page = await hub.listProjectsRaw({ sortBy, sortDir, limit: 1000, signal });
  const needle = name.toLowerCase();
  const shown = page.items.filter((p) => String(p.Name).toLowerCase().includes(needle));

  const query = (over: Record<string, string>) =>
    `/app?${new URLSearchParams({ name, sort: sortBy, dir: sortDir, ...over })}`;
  const sortButton = (field: string, label: string) =>
    h(
      'button',
      {
        type: 'button',
        'aria-sort':
          sortBy === field ? (sortDir === 'Asc' ? 'ascending' : 'descending') : undefined,
        onclick: () =>
          navigate(
            query({ sort: field, dir: sortBy === field && sortDir === 'Asc' ? 'Desc' : 'Asc' }),
          ),
      },
      label,
      sortBy === field ? (sortDir === 'Asc' ? ' ▲' : ' ▼') : '',
    );

  const filter = h('input', { id: 'project-filter', type: 'search', value: name });
  const newName = h('input', { id: 'new-project', type: 'text', required: true, maxlength: 255 });
  const createStatus = h('div', { 'aria-live': 'polite' });

  fill(
    main,
    h('h1', {}, 'Projects'),
    h(
      'form',
      {
        class: 'toolbar',
        role: 'search',
        onsubmit: (e: Event) => {
          e.preventDefault();
          navigate(query({ name: filter.value.trim() }));
        },
      },
      h('div', {}, h('label', { for: 'project-filter' }, 'Filter by name'), filter),
      h('button', { type: 'submit' }, 'Filter'),
    ),
    table(
      [sortButton('Name', 'Name'), 'Owner', sortButton('DateCreated', 'Created')],
      shown.map((p) => [
        link(`/app/projects/${p.Id}`, String(p.Name)),
        String(p.UserOwnedBy?.Name ?? ''),
        date(p.DateCreated),
      ]),
      name ? `No project matches “${name}”.` : 'No projects yet: create one below.',
    ),
    page.totalCount > page.items.length
      ? h(
          'p',
          { class: 'muted' },
          `Only the first ${page.items.length} of ${page.totalCount} are listed.`,
        )
      : null,
    h('h2', {}, 'New project'),
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            const p = await hub.createProjectRaw({ name: newName.value.trim() });
            navigate(`/app/projects/${p.Id}`);
          } catch (error) {
            fill(createStatus, errorBox(error));
          }
        },
      },
      h('div', {}, h('label', { for: 'new-project' }, 'Name'), newName),
      h('button', { type: 'submit' }, 'Create project'),
    ),
    createStatus,
  );
}
