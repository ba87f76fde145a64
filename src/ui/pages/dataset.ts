import type { FileParentRef, HubFile, Resource } from '../../sdk/index.js';
import { badge, bytes, date, errorBox, fill, h, link, table } from '../dom.js';
import { SigningIn, hub } from '../session.js';
import { canResume, resumableUpload } from '../upload.js';
import { propertiesTable } from './properties.js';

export const samplePage = (
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
) => datasetPage(main, { kind: 'samples', id: params.id! }, signal);

export const appResultPage = (
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
) => datasetPage(main, { kind: 'appresults', id: params.id! }, signal);

/** Starts a download of a file through a signed URL (no token in the address). */
export async function downloadFile(file: { id: string; name: string }): Promise<void> {
  const { url } = await hub.getFileContentUrl(file.id);
  const a = h('a', { href: url, download: file.name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}

const VIEWABLE = /\.(bam|vcf|vcf\.gz|txt|csv|tsv|json|xml|log|md|fastq|fq|fasta|fa|sam|bed)$/i;

/** A file list, directory by directory, with download and view buttons. */
export function filesTable(files: HubFile[]): HTMLElement {
  const byDir = new Map<string, HubFile[]>();
  for (const f of files) {
    const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  if (files.length === 0) return h('p', { class: 'muted empty' }, 'No files yet.');
  return h(
    'div',
    { class: 'files' },
    [...byDir.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([dir, list]) => [
        dir ? h('h3', {}, `${dir}/`) : null,
        table(
          ['Name', 'Size', '', ''],
          list.map((f) => [
            VIEWABLE.test(f.name) ? link(`/app/files/${f.id}`, f.name) : f.name,
            bytes(f.size),
            h(
              'button',
              {
                type: 'button',
                'aria-label': `Download ${f.name}`,
                onclick: () => void downloadFile(f),
              },
              'Download',
            ),
            VIEWABLE.test(f.name) ? link(`/app/files/${f.id}`, 'View') : '',
          ]),
          '',
        ),
      ]),
  );
}

async function allFiles(parent: FileParentRef, signal: AbortSignal): Promise<HubFile[]> {
  const out: HubFile[] = [];
  for await (const f of hub.listFiles(parent, { signal })) out.push(f);
  return out;
}

async function datasetPage(
  main: HTMLElement,
  parent: FileParentRef & { kind: 'samples' | 'appresults' },
  signal: AbortSignal,
): Promise<void> {
  const item: Resource =
    parent.kind === 'samples'
      ? await hub.getSampleRaw(parent.id, signal)
      : await hub.getAppResultRaw(parent.id, signal);
  const project = ((item.Projects ?? []) as Resource[])[0];
  const filesBox = h('div', {});
  const refreshFiles = async () => fill(filesBox, filesTable(await allFiles(parent, signal)));
  await refreshFiles();

  const progress = h('progress', {
    max: 1,
    value: 0,
    hidden: true,
    'aria-label': 'Upload progress',
  });
  // The percentage beside the bar is not announced (the bar is); the status line is, once a phase.
  const percent = h('span', { id: 'upload-percent', class: 'muted', 'aria-hidden': 'true' });
  const uploadStatus = h('div', { 'aria-live': 'polite', id: 'upload-status' });
  const upload = async (list: FileList | File[]) => {
    for (const file of [...list]) {
      progress.hidden = false;
      progress.value = 0;
      let reused = 0;
      fill(uploadStatus, `Uploading ${file.name}…`);
      try {
        await resumableUpload(parent, file, {
          onResume: () => fill(uploadStatus, `Resuming ${file.name}…`),
          onReused: (n) => {
            reused += n;
            fill(
              uploadStatus,
              `Resuming ${file.name}: ${bytes(reused)} of ${bytes(file.size)} already on the hub…`,
            );
          },
          onProgress: (done, total) => {
            progress.max = total || 1;
            progress.value = done;
            fill(percent, `${total ? Math.floor((done / total) * 100) : 100}%`);
          },
        });
        fill(uploadStatus, `Uploaded ${file.name}.`);
      } catch (error) {
        fill(
          uploadStatus,
          errorBox(
            canResume(error) && !(error instanceof SigningIn)
              ? `Upload of ${file.name} stopped (${error instanceof Error ? error.message : String(error)}). Drop the same file again to continue where it left off.`
              : error,
          ),
        );
        return;
      } finally {
        progress.hidden = true;
        fill(percent);
      }
    }
    await refreshFiles();
  };
  const input = h('input', {
    id: 'file-input',
    type: 'file',
    multiple: true,
    onchange: (e: Event) => {
      const target = e.target as HTMLInputElement;
      const files = [...(target.files ?? [])];
      // Cleared, so that choosing the same file again (to resume it) is a change too.
      target.value = '';
      void upload(files);
    },
  });
  const drop = h(
    'div',
    {
      class: 'drop',
      id: 'drop-zone',
      ondragover: (e: DragEvent) => {
        e.preventDefault();
        drop.classList.add('over');
      },
      ondragleave: () => drop.classList.remove('over'),
      ondrop: (e: DragEvent) => {
        e.preventDefault();
        drop.classList.remove('over');
        if (e.dataTransfer?.files.length) void upload(e.dataTransfer.files);
      },
    },
    'Drop files here, or ',
    h('label', { for: 'file-input', style: 'display:inline' }, 'choose files'),
    ' ',
    input,
  );

  const meta: [string, string][] = [
    ['Status', String(item.Status ?? '')],
    ['Owner', String(item.UserOwnedBy?.Name ?? '')],
    ['Created', date(item.DateCreated)],
    ['Size', bytes(item.TotalSize)],
  ];
  if (parent.kind === 'samples')
    meta.push(
      ['Sample ID', String(item.SampleId ?? '')],
      ['Experiment', String(item.ExperimentName ?? '')],
      ['Paired end', String(item.IsPairedEnd ?? '')],
      ['Reads', [item.Read1, item.Read2].filter((x) => x).join(' + ')],
    );
  if (item.AppSession)
    meta.push(['AppSession', `${item.AppSession.Name} (${item.AppSession.Status})`]);

  fill(
    main,
    h(
      'p',
      { class: 'muted' },
      link('/app/', 'Projects'),
      project ? [' / ', link(`/app/projects/${project.Id}`, String(project.Name))] : null,
    ),
    h('h1', {}, String(item.Name), ' ', badge(item.Status)),
    item.Description ? h('p', {}, String(item.Description)) : null,
    h(
      'dl',
      { class: 'meta' },
      meta.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    h('h2', {}, 'Files'),
    filesBox,
    h('h2', {}, 'Upload'),
    drop,
    progress,
    ' ',
    percent,
    uploadStatus,
    h('h2', {}, 'Properties'),
    await propertiesTable(parent.kind, parent.id, signal),
  );
}
