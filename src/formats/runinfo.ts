import { FormatError } from './format-error.js';
import { child, children, parseXml, text, type XmlNode } from './xml.js';

/** One read of the run as the instrument ran it (RunInfo `<Read>`). Numbers are 1-based. */
export interface RunRead {
  number: number;
  cycles: number;
  isIndexed: boolean;
  /** RunInfo v6 (NextSeq 1000/2000, NovaSeq X): the index read is sequenced reverse-complemented. */
  isReverseComplement: boolean;
}

/** A tile as RunInfo names it: `1_1101` is lane 1, tile 1101. */
export interface RunTile {
  lane: number;
  tile: number;
  name: string;
}

/** What RunInfo.xml says about a run; absent elements are undefined (older versions lack many). */
export interface RunInfo {
  version: number | undefined;
  runId: string | undefined;
  number: number | undefined;
  flowcell: string | undefined;
  instrument: string | undefined;
  /** The date as written (`150821`, `4/14/2019 1:17:20 PM`, ISO...). */
  dateText: string | undefined;
  /** The same date as ISO 8601 (`2015-08-21` or a full timestamp), when it can be read. */
  date: string | undefined;
  reads: RunRead[];
  lanes: number | undefined;
  surfaces: number | undefined;
  swaths: number | undefined;
  tilesPerSwath: number | undefined;
  sectionsPerLane: number | undefined;
  lanesPerSection: number | undefined;
  tileNaming: string | undefined;
  /** Tiles listed in the file (empty when the version does not list them). */
  tiles: RunTile[];
  /** Total cycles over all reads. */
  totalCycles: number;
}

const FILE = 'RunInfo.xml';

/** Parses RunInfo.xml (versions 1-6). Throws FormatError naming the line of what is wrong. */
export function parseRunInfo(xml: string): RunInfo {
  const doc = parseXml(xml, FILE);
  const root = child(doc, 'RunInfo');
  if (!root) throw new FormatError('has no <RunInfo> element', undefined, FILE);
  const run = child(root, 'Run');
  if (!run) throw new FormatError('has no <Run> element', undefined, FILE);

  const readNodes = children(child(run, 'Reads'), 'Read');
  if (readNodes.length === 0)
    throw new FormatError('has no <Read> in <Reads>', lineOf(xml, /<Reads\b/, 0), FILE);
  const reads = readNodes.map((node, i) => parseRead(node, i, xml));
  const seen = new Set<number>();
  for (const [i, r] of reads.entries()) {
    if (seen.has(r.number))
      throw new FormatError(
        `read number ${r.number} appears twice`,
        lineOf(xml, /<Read\b/g, i),
        FILE,
      );
    seen.add(r.number);
  }
  reads.sort((a, b) => a.number - b.number);

  const layout = child(run, 'FlowcellLayout');
  const tileSet = child(layout, 'TileSet');
  const tileNames = [
    ...children(child(tileSet, 'Tiles'), 'Tile'),
    ...children(child(layout, 'Tiles'), 'Tile'),
  ].map((t) => text(t, '#text') ?? '');
  const tiles = tileNames.map((name, i) => {
    const m = /^(\d+)_(\d+)$/.exec(name);
    if (!m)
      throw new FormatError(`tile '${name}' is not <lane>_<tile>`, lineOf(xml, /<Tile>/g, i), FILE);
    return { lane: Number(m[1]), tile: Number(m[2]), name };
  });

  const dateText = text(run, 'Date');
  return {
    version: optInt(text(root, '@_Version')),
    runId: text(run, '@_Id'),
    number: optInt(text(run, '@_Number')),
    flowcell: text(run, 'Flowcell'),
    instrument: text(run, 'Instrument'),
    dateText,
    date: dateText === undefined ? undefined : runDateIso(dateText),
    reads,
    lanes: optInt(text(layout, '@_LaneCount')),
    surfaces: optInt(text(layout, '@_SurfaceCount')),
    swaths: optInt(text(layout, '@_SwathCount')),
    tilesPerSwath: optInt(text(layout, '@_TileCount')),
    sectionsPerLane: optInt(text(layout, '@_SectionPerLane')),
    lanesPerSection: optInt(text(layout, '@_LanePerSection')),
    tileNaming: text(tileSet, '@_TileNamingConvention'),
    tiles,
    totalCycles: reads.reduce((sum, r) => sum + r.cycles, 0),
  };
}

function parseRead(node: XmlNode, index: number, xml: string): RunRead {
  const where = lineOf(xml, /<Read\b/g, index);
  const number = optInt(text(node, '@_Number'));
  if (number === undefined || number < 1)
    throw new FormatError(`<Read> ${index + 1} has no valid Number`, where, FILE);
  let cycles = optInt(text(node, '@_NumCycles'));
  if (cycles === undefined) {
    // Version 1 (GA/early HiSeq) wrote FirstCycle/LastCycle instead of NumCycles.
    const first = optInt(text(node, '@_FirstCycle'));
    const last = optInt(text(node, '@_LastCycle'));
    if (first !== undefined && last !== undefined && last >= first) cycles = last - first + 1;
  }
  if (cycles === undefined || cycles < 1)
    throw new FormatError(`read ${number} has no valid NumCycles`, where, FILE);
  return {
    number,
    cycles,
    isIndexed: yesNo(text(node, '@_IsIndexedRead'), 'IsIndexedRead', number, where),
    isReverseComplement: yesNo(
      text(node, '@_IsReverseComplement') ?? 'N',
      'IsReverseComplement',
      number,
      where,
    ),
  };
}

function yesNo(
  value: string | undefined,
  attr: string,
  read: number,
  where: { line: number } | undefined,
): boolean {
  const v = (value ?? 'N').toUpperCase();
  if (v === 'Y' || v === 'TRUE') return true;
  if (v === 'N' || v === 'FALSE') return false;
  throw new FormatError(`read ${read} has ${attr}="${value}" (expected Y or N)`, where, FILE);
}

function optInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,9}$/.test(s.trim())) return undefined;
  return Number(s);
}

/** The 1-based line of the `nth` (0-based) match of `re` in `text`. */
export function lineOf(textIn: string, re: RegExp, nth: number): { line: number } | undefined {
  const global = re.global ? re : new RegExp(re.source, re.flags + 'g');
  global.lastIndex = 0;
  let m: RegExpExecArray | null;
  let i = 0;
  while ((m = global.exec(textIn)) !== null) {
    if (i === nth) return { line: textIn.slice(0, m.index).split('\n').length };
    i++;
  }
  return undefined;
}

/**
 * RunInfo dates come as `YYMMDD` (HiSeq/MiSeq/NextSeq 500), `M/D/YYYY h:mm:ss AM` (NovaSeq 6000)
 * or ISO 8601 (v6). Returns ISO: a date, or a UTC timestamp when a time is given.
 */
export function runDateIso(s: string): string | undefined {
  let m = /^(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (m) return validDate(2000 + Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2})\s*([AP]M)?)?$/i.exec(s);
  if (m) {
    const day = validDate(Number(m[3]), Number(m[1]), Number(m[2]));
    if (!day || m[4] === undefined) return day;
    let h = Number(m[4]) % 12;
    if ((m[7] ?? '').toUpperCase() === 'PM') h += 12;
    else if (!m[7]) h = Number(m[4]);
    return `${day}T${String(h).padStart(2, '0')}:${m[5]}:${m[6]}Z`;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace('.000Z', 'Z');
  }
  return undefined;
}

function validDate(y: number, mo: number, d: number): string | undefined {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return undefined;
  return dt.toISOString().slice(0, 10);
}

/** `Y151,I8,I8,Y151` style (bcl2fastq `--use-bases-mask` / runscanner's runBasesMask), lower-case y. */
export function basesMask(info: RunInfo): string {
  return info.reads.map((r) => `${r.isIndexed ? 'I' : 'y'}${r.cycles}`).join(',');
}
