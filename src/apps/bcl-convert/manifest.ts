import { DEMUX_APPLICATION, type AppManifest } from '../../domain/index.js';

/**
 * `bcl-convert`: the hub's demultiplexing (issue 6, `POST runs/{id}/demultiplex`) launched like
 * any app. The same job runs it; the inputs mirror the demultiplex request.
 */
export const bclConvertManifest: AppManifest = {
  ...DEMUX_APPLICATION,
  slug: 'bcl-convert',
  version: '1.0.0',
  shortDescription: 'Demultiplex a sequencing run into FASTQ samples (BCL Convert compatible).',
  longDescription:
    'Reads the BCL/CBCL files of a Complete run and its sample sheet (v1 or v2), and writes one Sample per Sample_ID with FASTQ.gz files, plus an AppResult with Demultiplex_Stats.csv and Top_Unknown_Barcodes.csv, like BCL Convert.',
  category: 'Analytic',
  datePublished: '2026-11-29T00:00:00.0000000Z',
  inputs: [
    { id: 'run-id', label: 'Run', kind: 'run', required: true },
    { id: 'project-id', label: 'Save samples to', kind: 'project', required: true },
    { id: 'sample-sheet', label: 'Sample sheet path in the run', kind: 'string', required: false },
    {
      id: 'with-failed-reads',
      label: 'Keep reads that failed the chastity filter',
      kind: 'boolean',
      required: false,
      default: false,
    },
    {
      id: 'barcode-mismatches-index1',
      label: 'Mismatches allowed in index 1',
      kind: 'number',
      required: false,
      min: 0,
      max: 2,
      integer: true,
    },
    {
      id: 'barcode-mismatches-index2',
      label: 'Mismatches allowed in index 2',
      kind: 'number',
      required: false,
      min: 0,
      max: 2,
      integer: true,
    },
  ],
  outputs: ['One Sample per Sample_ID (FASTQ.gz)', 'AppResult "Demultiplexing reports"'],
  resources: { timeLimitSeconds: 24 * 3600, memoryMb: 8192, threads: 2 },
  engine: { kind: 'demux' },
};
