/**
 * The reference genome catalog seeded into every hub. Ids 1-10 follow the order of BaseSpace's
 * classic catalog as far as public material shows it (UNCONFIRMED beyond that: see
 * docs/api-choices.md); later ids add the builds labs use today. Ids are stable: never renumber.
 */
export interface GenomeSeed {
  id: number;
  speciesName: string;
  source: string;
  build: string;
  displayName: string;
}

const g = (
  id: number,
  speciesName: string,
  source: string,
  build: string,
  label = build,
): GenomeSeed => ({
  id,
  speciesName,
  source,
  build,
  displayName: `${speciesName} (${source} ${label})`,
});

export const GENOME_CATALOG: readonly GenomeSeed[] = [
  g(1, 'Arabidopsis thaliana', 'NCBI', 'build9.1'),
  g(2, 'Bos taurus', 'Ensembl', 'UMD3.1'),
  g(3, 'Escherichia coli str. K-12 substr. DH10B', 'NCBI', '2008-03-17'),
  g(4, 'Homo sapiens', 'UCSC', 'hg19', 'hg19 / GRCh37'),
  g(5, 'Mus musculus', 'UCSC', 'mm9'),
  g(6, 'PhiX', 'Illumina', 'RTA'),
  g(7, 'Rattus norvegicus', 'UCSC', 'rn4'),
  g(8, 'Saccharomyces cerevisiae', 'UCSC', 'sacCer2'),
  g(9, 'Staphylococcus aureus', 'NCBI', '2006-02-13'),
  g(10, 'Rhodobacter sphaeroides 2.4.1', 'NCBI', '2005-10-07'),
  g(11, 'Homo sapiens', 'NCBI', 'GRCh37', 'GRCh37 / build37.2'),
  g(12, 'Homo sapiens', 'UCSC', 'hg38', 'hg38 / GRCh38'),
  g(13, 'Homo sapiens', 'NCBI', 'GRCh38'),
  g(14, 'Mus musculus', 'UCSC', 'mm10', 'mm10 / GRCm38'),
  g(15, 'Mus musculus', 'NCBI', 'GRCm38'),
  g(16, 'Mus musculus', 'NCBI', 'GRCm39', 'GRCm39 / mm39'),
  g(17, 'Rattus norvegicus', 'UCSC', 'rn6', 'rn6 / Rnor_6.0'),
  g(18, 'Rattus norvegicus', 'NCBI', 'mRatBN7.2', 'mRatBN7.2 / rn7'),
  g(19, 'Danio rerio', 'UCSC', 'danRer11', 'danRer11 / GRCz11'),
  g(20, 'Danio rerio', 'UCSC', 'danRer10', 'danRer10 / GRCz10'),
  g(21, 'Drosophila melanogaster', 'UCSC', 'dm6', 'dm6 / BDGP6'),
  g(22, 'Caenorhabditis elegans', 'UCSC', 'ce11', 'ce11 / WBcel235'),
  g(23, 'Saccharomyces cerevisiae', 'UCSC', 'sacCer3', 'sacCer3 / R64'),
  g(24, 'Arabidopsis thaliana', 'Ensembl', 'TAIR10'),
  g(25, 'Escherichia coli str. K-12 substr. MG1655', 'NCBI', 'ASM584v2'),
  g(26, 'Sus scrofa', 'Ensembl', 'Sscrofa11.1'),
  g(27, 'Gallus gallus', 'Ensembl', 'GRCg7b'),
  g(28, 'Bos taurus', 'Ensembl', 'ARS-UCD1.2'),
  g(29, 'Oryza sativa', 'Ensembl', 'IRGSP-1.0'),
  g(30, 'Zea mays', 'Ensembl', 'Zm-B73-REFERENCE-NAM-5.0'),
];
