import { badge, bytes, date, fill, h, link, table } from '../dom.js';
import { hub } from '../session.js';

/** The runs the user can see, with their status. */
export async function runsPage(
  main: HTMLElement,
  _params: Record<string, string>,
  signal: AbortSignal,
) {
  const page = await hub.listRunsPage(0, 200, { sortBy: 'DateCreated', sortDir: 'Desc', signal });
  fill(
    main,
    h('h1', {}, 'Runs'),
    table(
      ['Name', 'Experiment', 'Instrument', 'Status', 'Size', 'Created'],
      page.items.map((r) => [
        link(`/app/runs/${r.id}`, r.name),
        r.experimentName ?? '',
        r.instrumentName ?? '',
        badge(r.status),
        bytes(r.totalSize),
        date(r.dateCreated),
      ]),
      'No runs yet: upload one with `seqhub run upload` or import it with `seqhub admin run import`.',
    ),
  );
}
