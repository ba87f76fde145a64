import { FASTQ_QC_APPLICATION, type AppManifest } from '../../domain/index.js';

/** fastp's JSON report (fastp 0.23) as AppResult properties; distributions stay in the files. */
function summarize(fileName: string, text: string): Record<string, string> | undefined {
  if (!fileName.endsWith('.fastp.json')) return undefined;
  const j = JSON.parse(text) as {
    summary?: { before_filtering?: Record<string, number> };
    duplication?: { rate?: number };
    adapter_cutting?: { adapter_trimmed_reads?: number };
    filtering_result?: { passed_filter_reads?: number };
  };
  const s = j.summary?.before_filtering ?? {};
  const out: Record<string, string> = {};
  const put = (name: string, value: number | undefined) => {
    if (typeof value === 'number' && Number.isFinite(value)) out[`FastqQc.${name}`] = String(value);
  };
  put('TotalReads', s.total_reads);
  put('TotalBases', s.total_bases);
  put('Q20Rate', s.q20_rate);
  put('Q30Rate', s.q30_rate);
  put('GcContent', s.gc_content);
  put('Read1MeanLength', s.read1_mean_length);
  put('Read2MeanLength', s.read2_mean_length);
  put('DuplicationRate', j.duplication?.rate);
  put('AdapterTrimmedReads', j.adapter_cutting?.adapter_trimmed_reads ?? 0);
  put('PassedFilterReads', j.filtering_result?.passed_filter_reads);
  return out;
}

/**
 * `fastq-qc`: fastp over each sample's reads (all lanes, R1 and R2). Per sample one AppResult
 * with fastp's HTML report (length and quality distributions, GC, adapters, duplication) and
 * JSON report, and the headline numbers as `FastqQc.*` properties. Reads are not rewritten.
 */
export const fastqQcManifest: AppManifest = {
  ...FASTQ_QC_APPLICATION,
  slug: 'fastq-qc',
  version: '1.0.0',
  shortDescription:
    'Read counts, length and quality distributions, GC, adapters and duplication per sample (fastp).',
  longDescription:
    'Runs fastp on every FASTQ file of each selected sample (lanes concatenated, R1 with R2). Writes one AppResult per sample with an HTML and a JSON report; the totals become FastqQc.* properties of the AppResult.',
  category: 'Analytic',
  datePublished: '2026-11-29T00:00:00.0000000Z',
  inputs: [
    { id: 'project-id', label: 'Save results to', kind: 'project', required: true },
    { id: 'sample-id', label: 'Samples', kind: 'sample[]', required: true },
    {
      id: 'qualified-quality',
      label: 'Phred quality a base needs to count as qualified',
      kind: 'number',
      required: false,
      default: 15,
      min: 0,
      max: 93,
      integer: true,
    },
    {
      id: 'adapter-detection',
      label: 'Detect and trim adapters',
      kind: 'boolean',
      required: false,
      default: true,
    },
    {
      id: 'dup-accuracy',
      // fastp's hash for the estimate takes 1, 2 or 4 GB at accuracy 1, 2, 3 (fastp README);
      // 4-6 (8-24 GB) do not fit the memory limit.
      label: 'Duplication estimate accuracy (1-3)',
      kind: 'number',
      required: false,
      default: 1,
      min: 1,
      max: 3,
      integer: true,
    },
  ],
  outputs: ['Per sample: <sample>.fastp.html, <sample>.fastp.json, FastqQc.* properties'],
  resources: { timeLimitSeconds: 6 * 3600, memoryMb: 8192, threads: 2 },
  engine: {
    kind: 'script',
    tools: ['fastp'],
    needsGenomeIndex: false,
    summarize,
    script: String.raw`set -euo pipefail
while IFS=$'\t' read -r id name stem r1 r2; do
  out="outputs/$id"
  mkdir -p "$out" tmp
  echo "[$name] fastp"
  args=(-i "$r1" -w "$SEQHUB_THREADS" -q "$OPT_QUALIFIED_QUALITY" --dup_calc_accuracy "$OPT_DUP_ACCURACY"
        -j "$out/$stem.fastp.json" -h "$out/$stem.fastp.html" -R "$name")
  if [ -n "$r2" ]; then
    args+=(-I "$r2")
    if [ "$OPT_ADAPTER_DETECTION" = true ]; then args+=(--detect_adapter_for_pe); fi
  fi
  if [ "$OPT_ADAPTER_DETECTION" != true ]; then args+=(-A); fi
  fastp "${'${'}args[@]}" 2> tmp/fastp.log || { cat tmp/fastp.log; exit 1; }
  cat tmp/fastp.log
  # fastp reports malformed records on stderr and still exits 0.
  if grep -q '^ERROR' tmp/fastp.log; then
    echo "[$name] fastp could not read the FASTQ files" >&2
    exit 1
  fi
done < inputs/samples.tsv
`,
  },
};
