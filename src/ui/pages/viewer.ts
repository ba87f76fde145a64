import type { HubFile } from '../../sdk/index.js';
import { bytes, errorBox, fill, h, link } from '../dom.js';
import { genomicHeader, type Contig } from '../genomic-header.js';
import { accessToken, hub } from '../session.js';
import { downloadFile } from './dataset.js';

/** Text files up to this size are shown whole; larger ones only their first bytes. */
const PREVIEW_BYTES = 64 * 1024;

const kindOf = (name: string): 'bam' | 'vcf' | 'text' | undefined => {
  if (/\.bam$/i.test(name)) return 'bam';
  if (/\.vcf(\.gz)?$/i.test(name)) return 'vcf';
  if (/\.(txt|csv|tsv|json|xml|log|md|fastq|fq|fasta|fa|sam|bed)$/i.test(name)) return 'text';
  return undefined;
};

async function textPreview(file: HubFile, signal: AbortSignal): Promise<HTMLElement> {
  const { url } = await hub.getFileContentUrl(file.id, signal);
  const res = await fetch(url, { headers: { Range: `bytes=0-${PREVIEW_BYTES - 1}` }, signal });
  const text = new TextDecoder().decode(await res.arrayBuffer());
  return h(
    'div',
    {},
    file.size > PREVIEW_BYTES
      ? h('p', { class: 'muted' }, `The first ${bytes(PREVIEW_BYTES)} of ${bytes(file.size)}.`)
      : null,
    h('pre', { class: 'preview', id: 'text-preview', tabindex: '0' }, text),
  );
}

/** The first region worth showing: the first contig, or the first 10 kb of it. */
const firstLocus = (contigs: Contig[]) => {
  const c = contigs.find((x) => x.length > 0) ?? contigs[0];
  return c ? `${c.name}:1-${Math.min(c.length || 10_000, 10_000)}` : undefined;
};

/** igv.js (its own chunk, loaded only here) over htsget, the reference from the file's header. */
async function genomeView(
  file: HubFile,
  kind: 'bam' | 'vcf',
  target: HTMLElement,
  signal: AbortSignal,
) {
  const htsgetKind = kind === 'bam' ? 'reads' : 'variants';
  const [{ default: igv }, header] = await Promise.all([
    import('igv'),
    genomicHeader(htsgetKind, file.id, signal),
  ]);
  const sizes = header.contigs
    .filter((c) => c.length > 0)
    .map((c) => `${c.name}\t${c.length}`)
    .join('\n');
  const sizesUrl = URL.createObjectURL(new Blob([sizes], { type: 'text/plain' }));
  const box = h('div', { id: 'igv' });
  fill(
    target,
    box,
    h(
      'details',
      {},
      h('summary', {}, 'Header'),
      h('pre', { class: 'preview', id: 'file-header' }, header.text),
    ),
  );
  const token = await accessToken();
  const browser = await igv.createBrowser(box, {
    loadDefaultGenomes: false,
    reference: {
      id: 'file-header',
      name: 'From the file header',
      format: 'chromsizes',
      fastaURL: sizesUrl,
    },
    locus: firstLocus(header.contigs),
    showCenterGuide: false,
    tracks: [
      {
        type: kind === 'bam' ? 'alignment' : 'variant',
        format: kind,
        sourceType: 'htsget',
        url: `${location.origin}/htsget/${htsgetKind}/${file.id}`,
        headers: { 'x-access-token': token },
        name: file.name,
      },
    ],
  } as any);
  signal.addEventListener('abort', () => {
    igv.removeBrowser(browser);
    URL.revokeObjectURL(sizesUrl);
  });
  (window as any).__igvBrowser = browser;
  return browser;
}

/** A file: metadata, download, and a view (igv.js for BAM/VCF, text for small text files). */
export async function viewerPage(
  main: HTMLElement,
  params: Record<string, string>,
  signal: AbortSignal,
) {
  const file = await hub.getFile(params.id!, signal);
  const kind = kindOf(file.name);
  const view = h(
    'div',
    { id: 'view', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Loading the view…'),
  );
  fill(
    main,
    h('p', { class: 'muted' }, link('/app/', 'Projects')),
    h('h1', {}, file.name),
    h('p', { class: 'muted' }, `${file.path} · ${bytes(file.size)} · MD5 ${file.md5 ?? ''}`),
    h('button', { type: 'button', onclick: () => void downloadFile(file) }, 'Download'),
    view,
  );
  try {
    if (kind === 'bam' || kind === 'vcf') {
      const browser = await genomeView(file, kind, view, signal);
      if (params.locus) await browser.search(params.locus);
    } else if (kind === 'text') fill(view, await textPreview(file, signal));
    else
      fill(
        view,
        h('p', { class: 'muted empty' }, 'No preview for this kind of file: download it.'),
      );
  } catch (error) {
    if (!signal.aborted) fill(view, errorBox(error));
  }
}
