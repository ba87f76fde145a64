import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A file of test/fixtures/genomics (see test/fixtures/README.md for where each comes from). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/genomics/${name}`, import.meta.url));
}

/** samtools, bcftools and tabix (Debian's samtools, bcftools, tabix packages) are the reference. */
export function haveTools(): boolean {
  try {
    for (const tool of ['samtools', 'bcftools', 'tabix']) {
      execFileSync('which', [tool], { stdio: 'ignore' });
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * `samtools depth -a` per base (default filters: no UNMAP, SECONDARY, QCFAIL, DUP; deletions not
 * counted), by reference: an array indexed by 0-based position.
 */
export function samtoolsDepth(path: string, region?: string): Map<string, number[]> {
  const out = execFileSync('samtools', ['depth', '-a', ...(region ? ['-r', region] : []), path], {
    maxBuffer: 1 << 30,
  }).toString();
  const byRef = new Map<string, number[]>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [ref, pos, depth] = line.split('\t');
    let list = byRef.get(ref!);
    if (!list) byRef.set(ref!, (list = []));
    list[Number(pos) - 1] = Number(depth);
  }
  return byRef;
}
