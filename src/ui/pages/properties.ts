import type { Resource, SeqhubClient } from '../../sdk/index.js';
import { errorBox, fill, h, table } from '../dom.js';
import { currentUser, hub } from '../session.js';

type Kind = 'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files';

const value = (p: Resource): string => {
  if (p.Content !== undefined) {
    const c = p.Content;
    return typeof c === 'object' && c !== null
      ? String(c.Name ?? c.Id ?? JSON.stringify(c))
      : String(c);
  }
  if (Array.isArray(p.Items))
    return p.Items.map((i: unknown) =>
      typeof i === 'object' ? JSON.stringify(i) : String(i),
    ).join(', ');
  return p.ItemsDisplayedCount !== undefined ? `${p.ItemsTotalCount ?? ''} items` : '';
};

/** The resources whose owner the page can learn (and so whether the user may write). */
const OWNED: Partial<
  Record<Kind, (c: SeqhubClient, id: string, s: AbortSignal) => Promise<Resource>>
> = {
  projects: (c, id, s) => c.getProjectRaw(id, s),
  samples: (c, id, s) => c.getSampleRaw(id, s),
  appresults: (c, id, s) => c.getAppResultRaw(id, s),
};

export interface PropertiesOptions {
  /** The client to read with (a share link's); the signed-in user's by default. */
  client?: SeqhubClient;
  /** The resource itself when the page has it already (for its owner). */
  owner?: Resource;
  /** Never offer editing (a share link reads only). */
  readOnly?: boolean;
}

/**
 * A table of an object's properties (name, type, value). When the signed-in user owns the
 * object, string properties can be added, changed and deleted in place (`POST`/`DELETE
 * {kind}/{id}/properties`); the API checks the name (spec 5.2) and its errors show inline.
 */
export async function propertiesTable(
  kind: Kind,
  id: string,
  signal: AbortSignal,
  options: PropertiesOptions = {},
): Promise<HTMLElement> {
  const client = options.client ?? hub;
  const section = h('section', { 'aria-label': 'Properties', id: 'properties' });
  const status = h('div', { id: 'property-status', 'aria-live': 'polite' });
  const owner =
    options.owner ??
    (options.readOnly ? undefined : await OWNED[kind]?.(client, id, signal).catch(() => undefined));
  // Only the owner is known to write: a collaborator's level is the owner's to read (docs/ui.md).
  const editable =
    !options.readOnly && owner !== undefined && owner.UserOwnedBy?.Id === currentUser?.Id;
  const ref = { kind, id };

  const act = async (what: () => Promise<unknown>, done: string) => {
    fill(status);
    try {
      await what();
      await render();
      fill(status, done);
    } catch (error) {
      fill(status, errorBox(error));
    }
  };

  const editor = (p: Resource): HTMLElement => {
    const input = h('input', {
      type: 'text',
      value: String(p.Content ?? ''),
      'aria-label': `New value of ${p.Name}`,
    });
    return h(
      'form',
      {
        class: 'inline',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act(
            () =>
              client.setProperty(ref, {
                name: String(p.Name),
                type: 'string',
                content: input.value,
              }),
            `Changed ${p.Name}.`,
          );
        },
      },
      input,
      h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => void render() }, 'Cancel'),
    );
  };

  const render = async () => {
    const page = await client.listPropertiesRaw(kind, id, { limit: 1000, signal });
    const rows = page.items.map((p) => {
      const cell = h('span', { class: 'value' }, value(p));
      const actions = editable
        ? h(
            'span',
            { class: 'actions' },
            p.Type === 'string'
              ? h(
                  'button',
                  {
                    type: 'button',
                    'aria-label': `Edit ${p.Name}`,
                    onclick: () => {
                      const form = editor(p);
                      cell.replaceWith(form);
                      form.querySelector('input')!.focus();
                    },
                  },
                  'Edit',
                )
              : null,
            h(
              'button',
              {
                type: 'button',
                'aria-label': `Delete ${p.Name}`,
                onclick: () =>
                  void act(() => client.deleteProperty(ref, String(p.Name)), `Deleted ${p.Name}.`),
              },
              'Delete',
            ),
          )
        : null;
      return [String(p.Name), String(p.Type), h('div', { class: 'cell' }, cell), actions];
    });
    fill(
      section,
      table(
        editable ? ['Name', 'Type', 'Value', ''] : ['Name', 'Type', 'Value'],
        rows.map((r) => (editable ? r : r.slice(0, 3))),
        'No properties.',
      ),
      editable ? addForm : null,
      status,
    );
  };

  const name = h('input', {
    id: 'property-name',
    type: 'text',
    required: true,
    maxlength: 64,
    placeholder: 'mylab.qc.note',
    'aria-describedby': 'property-name-hint',
  });
  const content = h('input', { id: 'property-value', type: 'text' });
  const addForm = h(
    'form',
    {
      class: 'toolbar',
      id: 'property-add',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const n = name.value.trim();
        void act(async () => {
          await client.setProperty(ref, { name: n, type: 'string', content: content.value });
          name.value = '';
          content.value = '';
        }, `Added ${n}.`);
      },
    },
    h(
      'div',
      {},
      h('label', { for: 'property-name' }, 'Property name'),
      name,
      h(
        'small',
        { id: 'property-name-hint', class: 'muted hint' },
        'Dot-separated words of letters, digits, - and _ (3 to 64 characters).',
      ),
    ),
    h('div', {}, h('label', { for: 'property-value' }, 'Value'), content),
    h('button', { type: 'submit' }, 'Add property'),
  );

  await render();
  return section;
}
