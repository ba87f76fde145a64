import { ApiError, SeqhubClient, type Resource } from '../../sdk/index.js';
import { badge, bytes, date, errorBox, fill, h, link, table } from '../dom.js';
import { sessionsTable, watchSessions } from '../live.js';
import { navigate } from '../main.js';
import { currentUser, hub } from '../session.js';
import { propertiesTable } from './properties.js';
import { shareLinksSection } from './share-links.js';

const TABS = [
  ['samples', 'Samples'],
  ['analyses', 'Analyses'],
  ['appresults', 'App Results'],
  ['properties', 'Properties'],
  ['sharing', 'Sharing'],
  ['activity', 'Activity'],
] as const;
type Tab = (typeof TABS)[number][0];

/** What a tab renders with: the API client (the user's, or a share link's) and the page's signal. */
interface TabContext {
  client: SeqhubClient;
  signal: AbortSignal;
  /** The share link's secret when the page was opened through one (`?link=`). */
  link: string | undefined;
}

/**
 * A client that reads through a share link (docs/api-choices.md "Share links": its secret is
 * sent as an access token and reads that project as a Read collaborator does). No retry on 401:
 * a deactivated link stays deactivated.
 */
const linkClient = (secret: string) =>
  new SeqhubClient({ baseUrl: location.origin, accessToken: secret, retry: { retries: 0 } });

/** A project: its header and tabs (each tab its own URL, so it can be linked and reloaded). */
export async function projectPage(
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const id = params.id!;
  const tab: Tab = (TABS.find(([k]) => k === params.tab)?.[0] ?? 'samples') as Tab;
  const secret = params.link || undefined;
  const ctx: TabContext = { client: secret ? linkClient(secret) : hub, signal, link: secret };
  const suffix = secret ? `?link=${encodeURIComponent(secret)}` : '';
  let project: Resource;
  try {
    project = await ctx.client.getProjectRaw(id, signal);
  } catch (error) {
    if (secret && error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      fill(
        main,
        h('h1', {}, 'This share link does not work'),
        h(
          'p',
          { class: 'error', role: 'alert', id: 'link-inactive' },
          'The link has been deactivated by the owner of the project, or it was never valid. Ask the owner for a new one.',
        ),
      );
      return;
    }
    throw error;
  }
  const panel = h('div', {
    role: 'tabpanel',
    id: 'tabpanel',
    tabindex: '0',
    'aria-labelledby': `tab-${tab}`,
  });
  const tabs = h(
    'div',
    { role: 'tablist', 'aria-label': 'Project sections' },
    TABS.map(([key, label]) =>
      h(
        'button',
        {
          role: 'tab',
          id: `tab-${key}`,
          type: 'button',
          'aria-selected': String(key === tab),
          'aria-controls': 'tabpanel',
          tabindex: key === tab ? '0' : '-1',
          onclick: () => navigate(`/app/projects/${id}/${key}${suffix}`),
          onkeydown: (e: KeyboardEvent) => {
            const i = TABS.findIndex(([k]) => k === key);
            const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
            if (!step) return;
            const next = TABS[(i + step + TABS.length) % TABS.length]![0];
            navigate(`/app/projects/${id}/${next}${suffix}`);
            setTimeout(() => document.getElementById(`tab-${next}`)?.focus(), 50);
          },
        },
        label,
      ),
    ),
  );
  fill(
    main,
    h('p', { class: 'muted' }, link('/app/', 'Projects'), ' / '),
    secret
      ? h(
          'p',
          { class: 'notice', id: 'via-link' },
          'You are reading this project through a share link (read only).',
        )
      : null,
    h('h1', {}, String(project.Name)),
    project.Description ? h('p', {}, String(project.Description)) : null,
    h(
      'p',
      { class: 'muted' },
      `Owner ${project.UserOwnedBy?.Name ?? ''} · created ${date(project.DateCreated)}`,
    ),
    tabs,
    panel,
  );
  try {
    fill(panel, await TAB_RENDER[tab](project, ctx));
  } catch (error) {
    if (!signal.aborted) fill(panel, errorBox(error));
  }
}

const TAB_RENDER: Record<Tab, (p: Resource, ctx: TabContext) => Promise<Node>> = {
  async samples(p, { client, signal, link: viaLink }) {
    const page = await client.listSamplesRaw(p.Id, { limit: 1000, signal });
    return table(
      ['Name', 'Sample ID', 'Status', 'Size', 'Created'],
      page.items.map((s) => [
        // The sample and app result pages do not read through a link (docs/ui.md): no dead links.
        viaLink ? String(s.Name) : link(`/app/samples/${s.Id}`, String(s.Name)),
        String(s.SampleId ?? ''),
        badge(s.Status),
        bytes(s.TotalSize),
        date(s.DateCreated),
      ]),
      'No samples in this project yet. Demultiplex a run into it from its run page.',
    );
  },

  async analyses(p, { client, signal, link: viaLink }) {
    // An AppSession belongs to the project through the app results and samples it made.
    const results = await client.listAppResultsRaw(p.Id, { limit: 1000, signal });
    const sessions = new Map<string, Resource>();
    for (const r of results.items) if (r.AppSession) sessions.set(r.AppSession.Id, r.AppSession);
    // A share link reads no `users/current/...` list (403), so only the above through a link.
    const all = viaLink
      ? { items: [] as Resource[] }
      : await client.listAppSessionsRaw({
          limit: 1000,
          sortBy: 'DateCreated',
          sortDir: 'Desc',
          signal,
        });
    const detailed = await Promise.all(
      all.items
        .filter((s) => !sessions.has(s.Id))
        .slice(0, 50)
        .map((s) => client.getAppSessionRaw(s.Id, signal).catch(() => undefined)),
    );
    for (const s of detailed) {
      const refs = (s?.References ?? []) as Resource[];
      if (s && refs.some((r) => JSON.stringify(r).includes(`projects/${p.Id}`)))
        sessions.set(s.Id, s);
    }
    const list = [...sessions.values()].sort((a, b) =>
      String(b.DateCreated).localeCompare(String(a.DateCreated)),
    );
    const box = h(
      'div',
      { id: 'analyses', 'aria-live': 'polite' },
      sessionsTable(list, 'No analyses have run in this project.'),
    );
    // Running sessions update on their own (status badge and summary) while the tab is open.
    watchSessions(client, box, list, signal);
    return box;
  },

  async appresults(p, { client, signal, link: viaLink }) {
    const page = await client.listAppResultsRaw(p.Id, { limit: 1000, signal });
    const name = h('input', { id: 'new-appresult', type: 'text', required: true, maxlength: 255 });
    const status = h('div', { 'aria-live': 'polite' });
    return h(
      'div',
      {},
      table(
        ['Name', 'Status', 'Size', 'Created'],
        page.items.map((r) => [
          viaLink ? String(r.Name) : link(`/app/appresults/${r.Id}`, String(r.Name)),
          badge(r.Status),
          bytes(r.TotalSize),
          date(r.DateCreated),
        ]),
        'No app results yet.',
      ),
      viaLink
        ? null
        : h(
            'form',
            {
              class: 'toolbar',
              onsubmit: async (e: Event) => {
                e.preventDefault();
                try {
                  const r = await hub.createAppResultRaw(p.Id, { name: name.value.trim() });
                  navigate(`/app/appresults/${r.Id}`);
                } catch (error) {
                  fill(status, errorBox(error));
                }
              },
            },
            h('div', {}, h('label', { for: 'new-appresult' }, 'New app result'), name),
            h('button', { type: 'submit' }, 'Create app result'),
          ),
      status,
    );
  },

  properties: (p, { client, signal, link: viaLink }) =>
    propertiesTable('projects', p.Id, signal, {
      client,
      owner: p,
      readOnly: viaLink !== undefined,
    }),

  async sharing(p, { signal, link: viaLink }) {
    const isOwner = !viaLink && p.UserOwnedBy?.Id === currentUser?.Id;
    if (!isOwner)
      return h('p', { class: 'muted' }, 'Only the owner of a project manages its sharing.');
    const box = h('div', {});
    const status = h('div', { 'aria-live': 'polite' });
    const refresh = async () => {
      const page = await hub.listCollaboratorsRaw(p.Id, { limit: 1000, signal });
      fill(
        box,
        table(
          ['Collaborator', 'Access', ''],
          page.items.map((c) => {
            const user = (c.User ?? c) as Resource;
            const level = h(
              'select',
              {
                'aria-label': `Access of ${user.Email ?? user.Name}`,
                onchange: async (e: Event) => {
                  const v = (e.target as HTMLSelectElement).value as 'Read' | 'Write';
                  try {
                    await hub.setCollaboratorAccess(p.Id, user.Id, v);
                    fill(status, `Access of ${user.Email ?? user.Name} is now ${v}.`);
                  } catch (error) {
                    fill(status, errorBox(error));
                  }
                },
              },
              ['Read', 'Write'].map((a) => h('option', { value: a, selected: c.Access === a }, a)),
            );
            return [
              `${user.Name ?? ''} <${user.Email ?? ''}>`,
              level,
              h(
                'button',
                {
                  type: 'button',
                  onclick: async () => {
                    try {
                      await hub.removeCollaborator(p.Id, user.Id);
                      fill(status, `${user.Email ?? user.Name} no longer has access.`);
                      await refresh();
                    } catch (error) {
                      fill(status, errorBox(error));
                    }
                  },
                },
                'Revoke',
              ),
            ];
          }),
          'Not shared with anyone yet.',
        ),
      );
    };
    await refresh();
    const email = h('input', { id: 'invite-email', type: 'email', required: true });
    const access = h(
      'select',
      { id: 'invite-access' },
      h('option', { value: 'Read' }, 'Read'),
      h('option', { value: 'Write' }, 'Write'),
    );
    return h(
      'div',
      {},
      box,
      h('h2', {}, 'Invite'),
      h(
        'form',
        {
          class: 'toolbar',
          onsubmit: async (e: Event) => {
            e.preventDefault();
            try {
              await hub.addCollaborator(p.Id, {
                email: email.value.trim(),
                access: access.value as 'Read' | 'Write',
              });
              fill(status, `Shared with ${email.value.trim()}.`);
              email.value = '';
              await refresh();
            } catch (error) {
              fill(status, errorBox(error));
            }
          },
        },
        h('div', {}, h('label', { for: 'invite-email' }, 'Email'), email),
        h('div', {}, h('label', { for: 'invite-access' }, 'Access'), access),
        h('button', { type: 'submit' }, 'Invite'),
      ),
      status,
      await shareLinksSection(p.Id, signal),
    );
  },

  async activity(p, { client, signal }) {
    const page = await client.getProjectAuditLog(p.Id, { limit: 200, signal });
    return table(
      ['When', 'Who', 'What', 'Details'],
      page.items.map((e) => [
        date(e.DateCreated ?? e.Date),
        `${e.Actor?.Kind ?? ''} ${e.Actor?.Id ?? ''}`.trim(),
        String(e.Action ?? ''),
        e.Details ? JSON.stringify(e.Details) : '',
      ]),
      'No activity recorded.',
    );
  },
};
