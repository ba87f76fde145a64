import type { ShareLink } from '../../sdk/index.js';
import { date, errorBox, fill, h, table } from '../dom.js';
import { hub } from '../session.js';

/** The address that opens the project in the app through a link (`?link=` is its secret). */
export const shareLinkUrl = (projectId: string, token: string) =>
  `${location.origin}/app/projects/${encodeURIComponent(projectId)}?link=${encodeURIComponent(token)}`;

/** Copies text: the Clipboard API where the page may use it, else a selected field's copy. */
async function copy(text: string, field: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field.select();
    return document.execCommand('copy');
  }
}

/**
 * The Sharing tab's link sharing (owner only): create a read-only link (its address is shown
 * once, as the API shows its secret once), copy it, list the links, deactivate one.
 */
export async function shareLinksSection(projectId: string, signal: AbortSignal): Promise<Node> {
  const list = h('div', { id: 'share-links' });
  const created = h('div', { id: 'share-link-created', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });

  const refresh = async () => {
    const links: ShareLink[] = [];
    for await (const l of hub.listShareLinks(projectId, { signal })) links.push(l);
    links.sort((a, b) => Number(b.id) - Number(a.id));
    fill(
      list,
      table(
        ['Label', 'Created', 'State', ''],
        links.map((l) => [
          l.label ?? '',
          date(l.dateCreated),
          l.isActive
            ? h('span', { class: 'badge Complete' }, 'Active')
            : h(
                'span',
                { class: 'badge Aborted' },
                `Deactivated ${date(l.dateDeactivated)}`.trim(),
              ),
          l.isActive
            ? h(
                'button',
                {
                  type: 'button',
                  'aria-label': `Deactivate link ${l.label || l.id}`,
                  onclick: async () => {
                    try {
                      await hub.deactivateShareLink(projectId, l.id);
                      fill(status, `Link ${l.label || l.id} no longer works.`);
                      fill(created);
                      await refresh();
                    } catch (error) {
                      fill(status, errorBox(error));
                    }
                  },
                },
                'Deactivate',
              )
            : '',
        ]),
        'No share links yet.',
      ),
    );
  };
  await refresh();

  const label = h('input', { id: 'link-label', type: 'text', maxlength: 255 });
  return h(
    'section',
    { 'aria-labelledby': 'share-links-heading' },
    h('h2', { id: 'share-links-heading' }, 'Share links'),
    h(
      'p',
      { class: 'muted' },
      'A link lets whoever has it read this project and its data (no writing), until you deactivate it.',
    ),
    list,
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          fill(status);
          try {
            const l = await hub.createShareLink(projectId, {
              ...(label.value.trim() && { label: label.value.trim() }),
            });
            const url = shareLinkUrl(projectId, l.token ?? '');
            const field = h('input', {
              id: 'share-link-url',
              type: 'text',
              readonly: true,
              value: url,
              size: 60,
            });
            const copied = h('span', { class: 'muted', 'aria-live': 'polite' });
            fill(
              created,
              h('label', { for: 'share-link-url' }, 'New link (shown only now: copy it)'),
              h(
                'div',
                { class: 'toolbar' },
                field,
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: async () =>
                      fill(copied, (await copy(url, field)) ? 'Copied.' : 'Select it and copy.'),
                  },
                  'Copy link',
                ),
                copied,
              ),
            );
            label.value = '';
            await refresh();
          } catch (error) {
            fill(status, errorBox(error));
          }
        },
      },
      h('div', {}, h('label', { for: 'link-label' }, 'Link label (optional)'), label),
      h('button', { type: 'submit' }, 'Create link'),
    ),
    created,
    status,
  );
}
