import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { FormatError } from './format-error.js';

/** One row of the sheet's data section. `line` is the 1-based line in the file. */
export interface SheetSample {
  line: number;
  /** 1-based lane, or undefined for "every lane". */
  lane: number | undefined;
  sampleId: string;
  sampleName: string | undefined;
  sampleProject: string | undefined;
  /** i7, upper case; undefined when the sheet has no index for this sample. */
  index: string | undefined;
  /** i5 as written in the sheet (its orientation depends on the instrument, see domain rules). */
  index2: string | undefined;
  /** Every column of the row, by its header name as written. */
  columns: Record<string, string>;
}

/** A sample sheet, v1 (IEM / bcl2fastq) or v2 (BCL Convert), in one model. */
export interface SampleSheet {
  version: 1 | 2;
  /** `[Header]` key/value pairs as written. */
  header: Record<string, string>;
  /** Cycles per read: v1 `[Reads]` (a list of numbers), v2 `Read1Cycles`..`Index2Cycles`. */
  reads: { read1?: number; read2?: number; index1?: number; index2?: number };
  /** v1 `[Settings]` or v2 `[BCLConvert_Settings]`. */
  settings: Record<string, string>;
  /** Lower-case setting name -> its 1-based line. */
  settingLines: Record<string, number>;
  overrideCycles: string | undefined;
  barcodeMismatchesIndex1: number | undefined;
  barcodeMismatchesIndex2: number | undefined;
  createFastqForIndexReads: boolean;
  trimUmi: boolean;
  adapterRead1: string | undefined;
  adapterRead2: string | undefined;
  /** The line of the data section's header row (the column names). */
  dataLine: number;
  /** Column names of the data section, as written. */
  dataColumns: string[];
  samples: SheetSample[];
  /** Sections present, lower-case name -> line of its `[Name]`. */
  sections: Record<string, number>;
}

const FILE = 'SampleSheet.csv';

interface Row {
  line: number;
  cells: string[];
}

/**
 * Parses a sample sheet: v1 with `[Header]`/`[Reads]`/`[Settings]`/`[Data]` (any subset, at
 * least `[Data]`), v2 with `[BCLConvert_Settings]`/`[BCLConvert_Data]`, or a section-less
 * bcl2fastq 1.8 (CASAVA) sheet. Accepts CRLF, LF or CR line ends, a BOM, quoted cells and gzip.
 * Structural problems (no data section, no sample id column, a bad number) throw FormatError
 * with the line; content rules (collisions, lengths) are in domain/samplesheet-rules.
 */
export function parseSampleSheet(input: string | Uint8Array): SampleSheet {
  const text = decode(input);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      info: true,
      bom: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new FormatError(
      `is not valid CSV: ${(error as Error).message}`,
      line ? { line } : undefined,
      FILE,
    );
  }
  const rows: Row[] = records.map(({ record, info }) => {
    const cells = record.map((c) => c.trim());
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    return { line: info.lines, cells };
  });

  const sections = new Map<string, { line: number; name: string; rows: Row[] }>();
  let current: { line: number; name: string; rows: Row[] } | undefined;
  for (const row of rows) {
    const m = /^\[([^\]]+)\]$/.exec(row.cells[0] ?? '');
    if (m && row.cells.length === 1) {
      const key = m[1]!.trim().toLowerCase();
      if (sections.has(key))
        throw new FormatError(`has section [${m[1]}] twice`, { line: row.line }, FILE);
      current = { line: row.line, name: m[1]!.trim(), rows: [] };
      sections.set(key, current);
    } else if (row.cells.length > 0) {
      if (!current) {
        if (sections.size === 0 && looksLikeCasava(row)) {
          current = { line: row.line, name: 'Data', rows: [] };
          sections.set('data', current);
        } else
          throw new FormatError(
            `has content before the first [Section]: '${row.cells.join(',').slice(0, 60)}'`,
            { line: row.line },
            FILE,
          );
      }
      current.rows.push(row);
    }
  }

  const header = keyValues(sections.get('header')?.rows ?? []);
  const isV2 =
    sections.has('bclconvert_data') ||
    sections.has('bclconvert_settings') ||
    (header['FileFormatVersion'] ?? '').trim() === '2';
  const dataKey = isV2 ? 'bclconvert_data' : 'data';
  const data = sections.get(dataKey);
  if (!data)
    throw new FormatError(
      `has no [${isV2 ? 'BCLConvert_Data' : 'Data'}] section${
        sections.size
          ? ` (sections: ${[...sections.values()].map((s) => `[${s.name}]`).join(', ')})`
          : ''
      }`,
      undefined,
      FILE,
    );
  const settingsSection = sections.get(isV2 ? 'bclconvert_settings' : 'settings');
  const settings = keyValues(settingsSection?.rows ?? []);
  const reads = isV2
    ? readsV2(sections.get('reads')?.rows ?? [])
    : readsV1(sections.get('reads')?.rows ?? []);

  const [head, ...body] = data.rows;
  if (!head)
    throw new FormatError(`[${data.name}] has no column header row`, { line: data.line }, FILE);
  const columns = head.cells;
  const col = (...names: string[]) => {
    const wanted = names.map((n) => n.toLowerCase());
    return columns.findIndex((c) => wanted.includes(c.toLowerCase()));
  };
  // bcl2fastq falls back to Sample_Name when there is no Sample_ID column.
  const idCol =
    col('Sample_ID', 'SampleID') >= 0 ? col('Sample_ID', 'SampleID') : col('Sample_Name');
  if (idCol < 0)
    throw new FormatError(
      `[${data.name}] has no Sample_ID column (columns: ${columns.join(', ') || 'none'})`,
      { line: head.line },
      FILE,
    );
  const laneCol = col('Lane');
  const nameCol = col('Sample_Name', 'SampleName');
  const projectCol = col('Sample_Project', 'SampleProject', 'Project');
  const indexCol = col('index', 'Index');
  const index2Col = col('index2', 'Index2');
  const cell = (row: Row, i: number) =>
    i < 0 ? undefined : (row.cells[i] ?? '').trim() || undefined;

  const samples: SheetSample[] = body.map((row) => {
    const sampleId = cell(row, idCol);
    if (sampleId === undefined)
      throw new FormatError(`a sample has no ${columns[idCol]}`, { line: row.line }, FILE);
    const laneText = cell(row, laneCol);
    if (laneText !== undefined && !/^[1-9]\d{0,2}$/.test(laneText))
      throw new FormatError(`Lane '${laneText}' is not a lane number`, { line: row.line }, FILE);
    const record: Record<string, string> = {};
    columns.forEach((c, i) => {
      if (c !== '') record[c] = row.cells[i] ?? '';
    });
    return {
      line: row.line,
      lane: laneText === undefined ? undefined : Number(laneText),
      sampleId,
      sampleName: cell(row, nameCol),
      sampleProject: cell(row, projectCol),
      index: cell(row, indexCol)?.toUpperCase(),
      index2: cell(row, index2Col)?.toUpperCase(),
      columns: record,
    };
  });

  const setting = (name: string) => {
    const key = Object.keys(settings).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : settings[key]!.trim() || undefined;
  };
  const settingLine = (name: string) =>
    settingsSection?.rows.find((r) => r.cells[0]?.toLowerCase() === name.toLowerCase())?.line;
  const mismatches = (name: string) => {
    const v = setting(name);
    if (v === undefined) return undefined;
    if (!/^[0-2]$/.test(v))
      throw new FormatError(
        `${name} is '${v}'; allowed: 0, 1, 2`,
        lineOrUndefined(settingLine(name)),
        FILE,
      );
    return Number(v);
  };
  const flag = (name: string) => {
    const v = (setting(name) ?? '').toLowerCase();
    return v === '1' || v === 'true' || v === 'yes';
  };
  const sectionLines: Record<string, number> = {};
  for (const [k, s] of sections) sectionLines[k] = s.line;
  return {
    version: isV2 ? 2 : 1,
    header,
    reads,
    settings,
    settingLines: Object.fromEntries(
      (settingsSection?.rows ?? []).map((r) => [(r.cells[0] ?? '').toLowerCase(), r.line]),
    ),
    overrideCycles: setting('OverrideCycles'),
    barcodeMismatchesIndex1: mismatches('BarcodeMismatchesIndex1'),
    barcodeMismatchesIndex2: mismatches('BarcodeMismatchesIndex2'),
    createFastqForIndexReads: flag('CreateFastqForIndexReads'),
    trimUmi: setting('TrimUMI') === undefined ? true : flag('TrimUMI'),
    adapterRead1: setting('AdapterRead1') ?? setting('Adapter'),
    adapterRead2: setting('AdapterRead2') ?? setting('Adapter'),
    dataLine: head.line,
    dataColumns: columns,
    samples,
    sections: sectionLines,
  };
}

function lineOrUndefined(line: number | undefined) {
  return line === undefined ? undefined : { line };
}

function decode(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  let bytes = input;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new FormatError(`is not valid gzip: ${(error as Error).message}`, { offset: 0 }, FILE);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Excel on Windows saves sheets as Windows-1252.
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** A section-less bcl2fastq 1.8 sheet starts with FCID,Lane,SampleID,... */
function looksLikeCasava(row: Row): boolean {
  const lower = row.cells.map((c) => c.toLowerCase());
  return lower.includes('sampleid') && lower.includes('lane');
}

function keyValues(rows: Row[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.cells[0]) out[r.cells[0]] = r.cells.slice(1).join(',');
  return out;
}

function cycles(row: Row, text: string | undefined): number {
  if (text === undefined || !/^\d{1,4}$/.test(text.trim()))
    throw new FormatError(`'${text ?? ''}' is not a number of cycles`, { line: row.line }, FILE);
  return Number(text.trim());
}

function readsV1(rows: Row[]): SampleSheet['reads'] {
  // Broad's MiSeq sheets list the index reads as the word `Index` between the two reads.
  const n = rows
    .filter((r) => r.cells[0]?.toLowerCase() !== 'index')
    .map((r) => cycles(r, r.cells[0]));
  return { ...(n[0] !== undefined && { read1: n[0] }), ...(n[1] !== undefined && { read2: n[1] }) };
}

function readsV2(rows: Row[]): SampleSheet['reads'] {
  const out: SampleSheet['reads'] = {};
  const names = {
    read1cycles: 'read1',
    read2cycles: 'read2',
    index1cycles: 'index1',
    index2cycles: 'index2',
  } as const;
  for (const r of rows) {
    const key = names[(r.cells[0] ?? '').toLowerCase() as keyof typeof names];
    if (key) out[key] = cycles(r, r.cells[1]);
  }
  return out;
}
