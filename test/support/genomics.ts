import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FilesClient, json } from './files-client.js';
import type { TestHub } from './hub.js';

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

/** The GIAB VCF slice of test/fixtures/genomics (chr17, with its tabix index beside it). */
export const NA12878 = 'NA12878.GIABPedigreev0.2.17.41100000.41300000.vcf.gz';

/** bcftools warns about the GIAB header's INFO/isPolymorphic line (expected, see the fixture README). */
export const QUIET: ['ignore', 'pipe', 'ignore'] = ['ignore', 'pipe', 'ignore'];

/** A new user of `hub` with a project and an app result to upload genomic files into. */
export async function uploadTarget(hub: TestHub, projectName: string, appResultName: string) {
  const { token, user } = await hub.newUser();
  const files = new FilesClient(hub.url, token);
  const post = async (path: string, body: unknown) =>
    json(
      await fetch(`${hub.url}/v1pre3/${path}`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  const project = (await post('projects', { Name: projectName })).Response;
  const appResult = (await post(`projects/${project.Id}/appresults`, { Name: appResultName }))
    .Response;
  return { token, user, files, project, appResult };
}
