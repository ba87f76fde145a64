import { ApiError, type Resource } from '../../sdk/index.js';
import { barChart, lineChart, type Series } from '../charts.js';
import { badge, bytes, date, errorBox, fill, h, link } from '../dom.js';
import { hub } from '../session.js';
import { filesTable } from './dataset.js';

const CHANNELS = { A: '#1b9e77', C: '#d95f02', G: '#7570b3', T: '#e7298a' } as const;
/** How often a running demultiplexing is polled for its status. */
const POLL_MS = 1000;

/** Charts of a run's InterOp metrics (% >= Q30 and intensity by cycle, density and % PF per lane). */
function charts(stats: Resource): HTMLElement {
  const cycles = (stats.Cycles ?? []) as Resource[];
  const lanes = (stats.Lanes ?? []) as Resource[];
  if (cycles.length === 0 && lanes.length === 0)
    return h(
      'p',
      { class: 'muted empty', id: 'no-metrics' },
      'No InterOp metrics in this run folder.',
    );
  const q30: Series = {
    name: '% ≥ Q30',
    color: '#0b57a4',
    points: cycles
      .filter((c) => typeof c.PercentGtQ30 === 'number')
      .map((c) => [c.CycleNumber, c.PercentGtQ30]),
  };
  const intensity: Series[] = Object.entries(CHANNELS).map(([base, color]) => ({
    name: base,
    color,
    points: cycles
      .filter((c) => typeof c.CalledIntensity?.[base] === 'number')
      .map((c) => [c.CycleNumber, c.CalledIntensity[base]]),
  }));
  const figure = (id: string, caption: string, chart: SVGSVGElement) =>
    h('figure', { id }, h('figcaption', {}, caption), chart);
  return h(
    'div',
    { class: 'charts' },
    figure(
      'chart-q30',
      '% ≥ Q30 by cycle',
      lineChart('% bases at or above Q30 by cycle', [q30], 100),
    ),
    figure(
      'chart-intensity',
      'Intensity by cycle',
      lineChart('Called intensity by cycle, per channel', intensity),
    ),
    figure(
      'chart-density',
      'Cluster density per lane (K/mm²)',
      barChart(
        'Cluster density per lane',
        lanes.map((l) => ({ label: `Lane ${l.LaneNumber}`, value: Number(l.ClusterDensity ?? 0) })),
        'Lane',
      ),
    ),
    figure(
      'chart-pf',
      '% PF per lane',
      barChart(
        '% clusters passing filter per lane',
        lanes.map((l) => ({ label: `Lane ${l.LaneNumber}`, value: Number(l.PercentPf ?? 0) })),
        'Lane',
        100,
      ),
    ),
  );
}

/** A run: its RunInfo summary, metrics charts, files and the Demultiplex action. */
export async function runPage(
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
) {
  const id = params.id!;
  const [run, stats, projects] = await Promise.all([
    hub.getRun(id, signal),
    hub.getSequencingStatsRaw(id, { cycles: true, signal }),
    hub.listProjectsRaw({ limit: 1000, sortBy: 'Name', signal }),
  ]);
  const files: Awaited<ReturnType<typeof hub.getFile>>[] = [];
  for await (const f of hub.listRunFiles(id, { signal })) files.push(f);

  const summary: [string, unknown][] = [
    ['Experiment', run.experimentName],
    ['Instrument', `${run.instrumentName ?? ''} (${run.instrumentType ?? ''})`],
    ['Flow cell', run.flowcellBarcode],
    ['Read structure', run.readStructure],
    ['Lanes', run.numLanes],
    ['Tiles', run.numTiles],
    ['Size', bytes(run.totalSize)],
    ['Created', date(run.dateCreated)],
    ['Reads PF / total', stats.ReadsTotal ? `${stats.ReadsPfTotal} / ${stats.ReadsTotal}` : ''],
    ['% ≥ Q30', typeof stats.PercentGtQ30 === 'number' ? stats.PercentGtQ30.toFixed(2) : ''],
    ['Yield (Gbp)', typeof stats.YieldTotal === 'number' ? stats.YieldTotal.toFixed(3) : ''],
  ];

  const project = h(
    'select',
    { id: 'demux-project', required: true },
    projects.items.map((p) => h('option', { value: p.Id }, String(p.Name))),
  );
  const sheet = h('textarea', {
    id: 'demux-sheet',
    rows: 6,
    placeholder: 'Leave empty to use the run’s SampleSheet.csv',
  });
  const errors = h('div', { id: 'demux-errors', 'aria-live': 'assertive' });
  const status = h('div', { id: 'demux-status', 'aria-live': 'polite' });

  const watch = async (sessionId: string, projectId: string) => {
    for (;;) {
      const s = await hub.getAppSessionRaw(sessionId, signal);
      fill(
        status,
        h('p', {}, 'Demultiplexing ', badge(s.Status), ' ', String(s.StatusSummary ?? '')),
        s.Status === 'Complete'
          ? h('p', {}, link(`/app/projects/${projectId}/samples`, 'See the samples'))
          : null,
      );
      if (s.Status !== 'Running') return;
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (signal.aborted) return;
    }
  };

  const form = h(
    'form',
    {
      id: 'demux-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        fill(errors);
        try {
          const session = await hub.demultiplex(id, {
            projectId: project.value,
            ...(sheet.value.trim() && { sampleSheet: sheet.value }),
          });
          await watch(session.Id, project.value);
        } catch (error) {
          if (error instanceof ApiError && error.status < 500)
            fill(
              errors,
              h('p', { class: 'error', role: 'alert' }, 'The run cannot be demultiplexed:'),
              h(
                'ul',
                { class: 'errors' },
                error.message.split(/;\s+|\n/).map((m) => h('li', {}, m)),
              ),
            );
          else fill(errors, errorBox(error));
        }
      },
    },
    h('label', { for: 'demux-project' }, 'Into project'),
    project,
    h('label', { for: 'demux-sheet' }, 'Sample sheet (optional; CSV v1 or v2)'),
    sheet,
    h('button', { type: 'submit', disabled: projects.items.length === 0 }, 'Demultiplex'),
    projects.items.length === 0 ? h('p', { class: 'muted' }, 'Create a project first.') : null,
  );

  fill(
    main,
    h('p', { class: 'muted' }, link('/app/runs', 'Runs'), ' / '),
    h('h1', {}, run.name, ' ', badge(run.status)),
    h(
      'dl',
      { class: 'meta', id: 'run-summary' },
      summary.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v ?? ''))]),
    ),
    h('h2', {}, 'Metrics'),
    charts(stats),
    h('h2', {}, 'Demultiplex'),
    form,
    errors,
    status,
    h('h2', {}, 'Files'),
    filesTable(files),
  );
}
