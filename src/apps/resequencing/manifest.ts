import { RESEQUENCING_APPLICATION, type AppManifest } from '../../domain/index.js';

function summarize(fileName: string, text: string): Record<string, string> | undefined {
  if (fileName.endsWith('.flagstat.json')) {
    const passed = (JSON.parse(text) as Record<string, Record<string, number>>)['QC-passed reads'];
    if (!passed) return undefined;
    const total = passed.total ?? 0;
    const paired = passed['properly paired'] ?? 0;
    return {
      'Resequencing.TotalReads': String(total),
      'Resequencing.MappedReads': String(passed.mapped ?? 0),
      'Resequencing.ProperlyPairedReads': String(paired),
      'Resequencing.Duplicates': String(passed.duplicates ?? 0),
    };
  }
  if (fileName.endsWith('.variants.json')) {
    const j = JSON.parse(text) as { variants?: number };
    return typeof j.variants === 'number' ? { 'Resequencing.Variants': String(j.variants) } : {};
  }
  return undefined;
}

/**
 * `resequencing`: minimap2 (short-read preset) against a registered genome with sequence,
 * samtools fixmate/sort/markdup/index, bcftools mpileup | call (multiallelic caller, variant
 * sites only). Per sample one AppResult: `<sample>.bam` + `.bai`, `<sample>.vcf.gz` + `.tbi`,
 * flagstat; the hub then indexes the BAM and VCF for coverage, variants, htsget and the viewer.
 */
export const resequencingManifest: AppManifest = {
  ...RESEQUENCING_APPLICATION,
  slug: 'resequencing',
  version: '1.0.0',
  shortDescription:
    'Align reads to a genome, mark duplicates and call small variants (minimap2, samtools, bcftools).',
  longDescription:
    'For each selected sample: minimap2 -x sr alignment to the chosen genome (which must have its sequence registered), samtools fixmate, sort, markdup and index, then bcftools mpileup | bcftools call -mv. One AppResult per sample with the BAM, BAI, VCF.gz, TBI and the flagstat; Resequencing.* properties give read, pairing, duplicate and variant counts.',
  category: 'Analytic',
  datePublished: '2026-11-29T00:00:00.0000000Z',
  inputs: [
    { id: 'project-id', label: 'Save results to', kind: 'project', required: true },
    { id: 'sample-id', label: 'Samples', kind: 'sample[]', required: true },
    { id: 'genome-id', label: 'Reference genome', kind: 'genome', required: true },
    {
      id: 'mark-duplicates',
      label: 'Mark PCR duplicates',
      kind: 'boolean',
      required: false,
      default: true,
    },
    {
      id: 'min-mapq',
      label: 'Minimum mapping quality for calling',
      kind: 'number',
      required: false,
      default: 0,
      min: 0,
      max: 60,
      integer: true,
    },
    {
      id: 'min-baseq',
      label: 'Minimum base quality for calling',
      kind: 'number',
      required: false,
      default: 13,
      min: 0,
      max: 93,
      integer: true,
    },
  ],
  outputs: [
    'Per sample: <sample>.bam, <sample>.bam.bai, <sample>.vcf.gz, <sample>.vcf.gz.tbi, <sample>.flagstat.json, Resequencing.* properties',
  ],
  resources: { timeLimitSeconds: 24 * 3600, memoryMb: 16384, threads: 2 },
  engine: {
    kind: 'script',
    tools: ['minimap2', 'samtools', 'bcftools', 'tabix'],
    needsGenomeIndex: true,
    summarize,
    script: String.raw`set -euo pipefail
T="$SEQHUB_THREADS"
while IFS=$'\t' read -r id name stem r1 r2; do
  out="outputs/$id"
  mkdir -p "$out" tmp
  echo "[$name] aligning with minimap2"
  minimap2 -t "$T" -a -x sr -R "@RG\tID:$stem\tSM:$stem" "$SEQHUB_GENOME_MMI" "$r1" ${'${'}r2:+"$r2"} \
    | samtools fixmate -m - tmp/fixmate.bam
  samtools sort -@ "$T" -T tmp/sort -o tmp/sorted.bam tmp/fixmate.bam
  if [ "$OPT_MARK_DUPLICATES" = true ]; then
    echo "[$name] marking duplicates"
    samtools markdup -T tmp/markdup tmp/sorted.bam "$out/$stem.bam"
  else
    mv tmp/sorted.bam "$out/$stem.bam"
  fi
  if [ "$(samtools view -c "$out/$stem.bam")" -eq 0 ]; then
    echo "[$name] no reads: the FASTQ files could not be read (see minimap2's warnings above)" >&2
    exit 1
  fi
  samtools index "$out/$stem.bam"
  samtools flagstat -O json "$out/$stem.bam" > "$out/$stem.flagstat.json"
  echo "[$name] calling variants with bcftools"
  bcftools mpileup -q "$OPT_MIN_MAPQ" -Q "$OPT_MIN_BASEQ" -f "$SEQHUB_GENOME_FASTA" "$out/$stem.bam" \
    | bcftools call -mv -Oz -o "$out/$stem.vcf.gz"
  tabix -p vcf "$out/$stem.vcf.gz"
  n=$(bcftools view -H "$out/$stem.vcf.gz" | wc -l)
  printf '{"variants":%d}\n' "$n" > "$out/$stem.variants.json"
  echo "[$name] $n variants"
  rm -f tmp/fixmate.bam tmp/sorted.bam
done < inputs/samples.tsv
`,
  },
};
