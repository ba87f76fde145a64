import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseBcl,
  parseClocs,
  parseFilter,
  parseLocs,
  type ClusterPositions,
} from '../../src/formats/index.js';

/** htslib's `bgzip` (Debian `tabix`), the reference BGZF writer; tests that need it skip without it. */
export const BGZIP: boolean = spawnSync('bgzip', ['--version']).status === 0;

const lanePart = (lane: number) => `L${String(lane).padStart(3, '0')}`;
const first = (paths: string[]) => paths.find((p) => existsSync(p));

/**
 * Rewrites a per-tile run folder (classic `C<c>.1/s_<l>_<t>.bcl[.gz]`, per-tile `.filter`,
 * `.locs`/`.clocs`/`s.locs`) in the NextSeq 500/550 layout, into `dst`:
 * `BaseCalls/L00<l>/<cycle:04>.bcl.bgzf` (one uint32 lane cluster count, then the tiles' calls in
 * tile order, compressed by `bgzip`) with its `.bci` (version 0, tile count, one BGZF virtual offset
 * per tile, computed from bgzip's own `.gzi` block index), `s_<l>.bci` (tile, clusters),
 * `s_<l>.filter` and `Intensities/L00<l>/s_<l>.locs` holding every tile of the lane.
 */
export function toNextSeqLayout(
  src: string,
  dst: string,
  lanes: { lane: number; tiles: number[] }[],
  cycles: number,
): void {
  const work = mkdtempSync(join(tmpdir(), 'seqhub-nextseq-'));
  try {
    for (const { lane, tiles } of lanes) {
      const l = lanePart(lane);
      const calls = join(dst, 'Data/Intensities/BaseCalls', l);
      const intensities = join(dst, 'Data/Intensities', l);
      mkdirSync(calls, { recursive: true });
      mkdirSync(intensities, { recursive: true });
      const flags = tiles.map((t) => {
        const path = first([
          join(src, 'Data/Intensities/BaseCalls', l, `s_${lane}_${t}.filter`),
          join(src, 'Data/Intensities/BaseCalls', `s_${lane}_${t}.filter`),
        ])!;
        return parseFilter(readFileSync(path), path);
      });
      const counts = flags.map((f) => f.length);
      const total = counts.reduce((a, b) => a + b, 0);

      const index = Buffer.alloc(8 * tiles.length);
      tiles.forEach((t, k) => {
        index.writeUInt32LE(t, 8 * k);
        index.writeUInt32LE(counts[k]!, 8 * k + 4);
      });
      writeFileSync(join(calls, `s_${lane}.bci`), index);
      writeFileSync(join(calls, `s_${lane}.filter`), laneFile([0, 3, total], flags));

      const positions = tiles.map((t) => tilePositions(src, lane, t));
      const locs = positions.map((p) => {
        const b = Buffer.alloc(p.x.length * 8);
        for (let i = 0; i < p.x.length; i++) {
          b.writeFloatLE(p.x[i]!, 8 * i);
          b.writeFloatLE(p.y[i]!, 8 * i + 4);
        }
        return b;
      });
      const locsHeader = Buffer.alloc(12);
      locsHeader.writeInt32LE(1, 0);
      locsHeader.writeFloatLE(1, 4);
      locsHeader.writeUInt32LE(total, 8);
      writeFileSync(join(intensities, `s_${lane}.locs`), Buffer.concat([locsHeader, ...locs]));

      for (let c = 1; c <= cycles; c++) {
        const perTile = tiles.map((t) => {
          const path = first(
            ['.bcl', '.bcl.gz'].map((sfx) =>
              join(src, 'Data/Intensities/BaseCalls', l, `C${c}.1`, `s_${lane}_${t}${sfx}`),
            ),
          )!;
          return parseBcl(readFileSync(path), path);
        });
        const raw = join(work, 'cycle.bcl');
        const gzi = join(work, 'cycle.gzi');
        const out = join(calls, `${String(c).padStart(4, '0')}.bcl.bgzf`);
        writeFileSync(raw, laneFile([total], perTile));
        execFileSync('bgzip', ['-f', '-i', '-I', gzi, raw]);
        writeFileSync(out, readFileSync(`${raw}.gz`));
        rmSync(`${raw}.gz`);
        const blocks = readGzi(readFileSync(gzi));
        const bci = Buffer.alloc(8 + 8 * tiles.length);
        bci.writeUInt32LE(0, 0);
        bci.writeUInt32LE(tiles.length, 4);
        let at = 4;
        tiles.forEach((_, k) => {
          bci.writeBigUInt64LE(virtualOffset(blocks, at), 8 + 8 * k);
          at += counts[k]!;
        });
        writeFileSync(`${out}.bci`, bci);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A lane file: uint32 header fields, then the tiles' records one after the other. */
function laneFile(header: number[], parts: Uint8Array[]): Buffer {
  const head = Buffer.alloc(4 * header.length);
  header.forEach((v, i) => head.writeUInt32LE(v, 4 * i));
  return Buffer.concat([head, ...parts]);
}

function tilePositions(src: string, lane: number, tile: number): ClusterPositions {
  const base = join(src, 'Data/Intensities', lanePart(lane), `s_${lane}_${tile}`);
  if (existsSync(`${base}.locs`)) return parseLocs(readFileSync(`${base}.locs`));
  if (existsSync(`${base}.clocs`)) return parseClocs(readFileSync(`${base}.clocs`));
  return parseLocs(readFileSync(join(src, 'Data/Intensities/s.locs')));
}

/** bgzip's `.gzi`: uint64 count, then (compressed, uncompressed) uint64 offsets of each block after the first. */
function readGzi(bytes: Buffer): { c: bigint; u: bigint }[] {
  const n = Number(bytes.readBigUInt64LE(0));
  const out = [{ c: 0n, u: 0n }];
  for (let i = 0; i < n; i++)
    out.push({ c: bytes.readBigUInt64LE(8 + 16 * i), u: bytes.readBigUInt64LE(16 + 16 * i) });
  return out;
}

/** The BGZF virtual offset of an inflated position: the last block starting at or before it. */
function virtualOffset(blocks: { c: bigint; u: bigint }[], at: number): bigint {
  const u = BigInt(at);
  let b = blocks[0]!;
  for (const x of blocks) if (x.u <= u) b = x;
  return (b.c << 16n) | (u - b.u);
}
