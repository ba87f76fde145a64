import { ApiError, type Resource } from '../../sdk/index.js';
import { barChart, hbarChart, lineChart, type Series } from '../charts.js';
import { badge, bytes, date, errorBox, fill, h, link, table } from '../dom.js';
import { sessionsTable, watchSessions } from '../live.js';
import { hub } from '../session.js';
import { filesTable } from './dataset.js';

const CHANNELS = { A: '#1b9e77', C: '#d95f02', G: '#7570b3', T: '#e7298a' } as const;
/** How often a running demultiplexing is polled for its status. */
const POLL_MS = 1000;
/** What the demultiplexing writes into its reports AppResult (src/services/demux/demux.engine.ts). */
const STATS_CSV = 'Demultiplex_Stats.csv';
const UNKNOWN_CSV = 'Top_Unknown_Barcodes.csv';
/** Rows of the top unknown barcodes shown per lane. */
const TOP_UNKNOWN_ROWS = 10;

/** A CSV as BCL Convert writes its reports (no quoted fields): rows keyed by the header. */
function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!head) return [];
  const keys = head.split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(keys.map((k, i) => [k, cells[i] ?? '']));
  });
}

const ids = (p: Resource | undefined): string[] =>
  ((p?.Items ?? []) as Resource[]).map((i) => String(i?.Id ?? ''));

/**
 * The demultiplexing AppSessions of this run, newest first: the caller's sessions of the
 * demultiplexing app named after the run, less those whose `Input.Runs` (written when the job
 * commits) names another run. With each, its reports AppResult once Complete.
 */
async function demuxSessions(
  run: { id: string; name: string },
  signal: AbortSignal,
): Promise<{ session: Resource; reportsId: string | undefined }[]> {
  const all = await hub.listAppSessionsRaw({
    limit: 200,
    sortBy: 'DateCreated',
    sortDir: 'Desc',
    signal,
  });
  const named = all.items.filter((s) => s.Name === `Demultiplexing ${run.name}`);
  const found = await Promise.all(
    named.map(async (session) => {
      const props = await hub.listPropertiesRaw('appsessions', session.Id, { limit: 100, signal });
      const byName = new Map(props.items.map((p) => [p.Name, p]));
      const runs = byName.get('Input.Runs');
      if (runs && !ids(runs).includes(String(run.id))) return undefined;
      return { session, reportsId: ids(byName.get('Output.AppResults'))[0] };
    }),
  );
  return found.filter((x) => x !== undefined);
}

/** Index read distribution and top unknown barcodes from the newest completed demultiplexing. */
async function indexReport(
  sessions: { session: Resource; reportsId: string | undefined }[],
  signal: AbortSignal,
): Promise<HTMLElement> {
  const done = sessions.find((s) => s.session.Status === 'Complete' && s.reportsId);
  if (!done)
    return h(
      'p',
      { class: 'muted empty', id: 'no-demux' },
      'This run has not been demultiplexed yet: the index read distribution and the top unknown barcodes appear here once it has.',
    );
  const files: Awaited<ReturnType<typeof hub.getFile>>[] = [];
  for await (const f of hub.listFiles({ kind: 'appresults', id: done.reportsId! }, { signal }))
    files.push(f);
  const read = async (name: string) => {
    const f = files.find((x) => x.name === name);
    return f ? parseCsv(await hub.getFileText(f.id, { signal })) : [];
  };
  const [stats, unknown] = await Promise.all([read(STATS_CSV), read(UNKNOWN_CSV)]);
  const lanes = [...new Set(stats.map((r) => r.Lane!))].sort((a, b) => Number(a) - Number(b));
  const source = h(
    'p',
    { class: 'muted' },
    'From ',
    link(`/app/appresults/${done.reportsId}`, STATS_CSV),
    ` of ${String(done.session.Name)} (${date(done.session.DateCompleted ?? done.session.DateCreated)}).`,
  );
  const perLane = lanes.map((lane) => {
    const rows = stats.filter((r) => r.Lane === lane);
    const total = rows.reduce((n, r) => n + Number(r['# Reads'] ?? 0), 0);
    const label = (r: Record<string, string>) =>
      r.SampleID === 'Undetermined' ? 'Undetermined' : `${r.SampleID} (${r.Index})`;
    return h(
      'figure',
      { class: 'chart-index', id: `chart-index-lane-${lane}`, 'data-lane': lane },
      h('figcaption', {}, `Lane ${lane}: reads per sample and index`),
      hbarChart(
        `Index read distribution, lane ${lane}`,
        `Reads per sample in lane ${lane}, ${total} reads in all; the grey bar is the reads whose index matched no sample. The table below has the same numbers.`,
        rows.map((r) => ({
          label: label(r),
          value: Number(r['# Reads'] ?? 0),
          muted: r.SampleID === 'Undetermined',
        })),
        'Reads',
      ),
      h(
        'details',
        {},
        h('summary', {}, `Lane ${lane} as a table`),
        table(
          ['Sample', 'Index', 'Reads', '% of lane', '% perfect index'],
          rows.map((r) => [
            String(r.SampleID),
            String(r.Index),
            String(r['# Reads']),
            (Number(r['% Reads'] ?? 0) * 100).toFixed(2),
            (Number(r['% Perfect Index Reads'] ?? 0) * 100).toFixed(2),
          ]),
          'No reads.',
        ),
      ),
    );
  });
  const unknownLanes = [...new Set(unknown.map((r) => r.Lane!))];
  const unknownTable = table(
    ['Lane', 'Index', 'Index 2', 'Reads', '% of unknown', '% of all'],
    unknownLanes.flatMap((lane) =>
      unknown
        .filter((r) => r.Lane === lane)
        .slice(0, TOP_UNKNOWN_ROWS)
        .map((r) => [
          String(r.Lane),
          h('code', {}, String(r.index)),
          h('code', {}, String(r.index2 ?? '')),
          String(r['# Reads']),
          (Number(r['% of Unknown Barcodes'] ?? 0) * 100).toFixed(2),
          (Number(r['% of All Barcodes'] ?? 0) * 100).toFixed(2),
        ]),
    ),
    'No unknown barcodes: every read matched a sample.',
  );
  unknownTable.id = 'top-unknown';
  return h(
    'div',
    { id: 'index-report' },
    source,
    perLane.length
      ? h('div', { class: 'charts' }, perLane)
      : h('p', { class: 'muted empty' }, `No ${STATS_CSV} in the demultiplexing reports.`),
    h('h3', {}, `Top unknown barcodes (first ${TOP_UNKNOWN_ROWS} per lane)`),
    unknownTable,
  );
}

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
  const indexBox = h('div', { id: 'index-section' });
  const sessionsBox = h('div', { id: 'demux-sessions', 'aria-live': 'polite' });
  /** The run's demultiplexing sessions (live while any runs) and the index report. */
  let shownReports: string | undefined;
  /** Ends the previous refresh's watcher, so one watcher polls at a time. */
  let watching: AbortController | undefined;
  const refreshDemux = async (): Promise<void> => {
    const sessions = await demuxSessions(run, signal);
    if (signal.aborted) return;
    const table = sessionsTable(
      sessions.map((s) => s.session),
      'No demultiplexing of this run yet.',
    );
    fill(sessionsBox, table);
    const done = sessions.find((s) => s.session.Status === 'Complete' && s.reportsId);
    if (shownReports === undefined || done?.reportsId !== shownReports) {
      shownReports = done?.reportsId ?? '';
      fill(indexBox, await indexReport(sessions, signal));
    }
    watching?.abort();
    watching = new AbortController();
    watchSessions(
      hub,
      sessionsBox,
      sessions.map((s) => s.session),
      AbortSignal.any([signal, watching.signal]),
      (s) => {
        if (s.Status !== 'Running') void refreshDemux().catch(() => undefined);
      },
    );
  };
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
          // The sessions table shows it Running and, when it ends, the index report.
          void refreshDemux().catch(() => undefined);
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
    h('h2', {}, 'Index reads'),
    indexBox,
    h('h2', {}, 'Demultiplex'),
    form,
    errors,
    status,
    h('h3', {}, 'Demultiplexing sessions'),
    sessionsBox,
    h('h2', {}, 'Files'),
    filesTable(files),
  );
  try {
    await refreshDemux();
  } catch (error) {
    if (!signal.aborted) fill(indexBox, errorBox(error));
  }
}
