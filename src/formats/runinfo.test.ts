import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from './format-error.js';
import { basesMask, parseRunInfo, runDateIso } from './runinfo.js';

const F = 'test/fixtures/runs/';
const read = (p: string) => readFileSync(F + p, 'utf8');

describe('parseRunInfo', () => {
  it('reads a v6 RunInfo with IsReverseComplement on i5 (NextSeq 2000)', () => {
    const ri = parseRunInfo(read('runinfo/RunInfo-nextseq-1000-2000-p1.xml'));
    expect(ri).toMatchObject({
      version: 6,
      runId: '240927_VH01619_75_AAG27M7M5',
      number: 75,
      flowcell: 'AAG27M7M5',
      instrument: 'VH01619',
      date: '2024-09-27T14:48:52Z',
      lanes: 1,
      surfaces: 2,
      swaths: 4,
      tilesPerSwath: 4,
      tileNaming: 'FourDigit',
      totalCycles: 318,
    });
    expect(ri.reads.map((r) => [r.cycles, r.isIndexed, r.isReverseComplement])).toEqual([
      [151, false, false],
      [8, true, false],
      [8, true, true],
      [151, false, false],
    ]);
    expect(ri.tiles).toHaveLength(32);
    expect(ri.tiles[0]).toEqual({ lane: 1, tile: 1101, name: '1_1101' });
    expect(basesMask(ri)).toBe('y151,I8,I8,y151');
  });

  it('reads the MiSeq and NextSeq 500 runs as runscanner does', () => {
    const miseq = parseRunInfo(read('miseq-130417/RunInfo.xml'));
    expect(miseq).toMatchObject({
      version: 2,
      instrument: 'M00146',
      flowcell: '000000000-A2WDF',
      date: '2013-04-17',
      totalCycles: 242,
      lanes: 1,
      surfaces: 2,
      swaths: 1,
      tilesPerSwath: 14,
    });
    expect(basesMask(miseq)).toBe('y121,y121');
    const nextseq = parseRunInfo(read('nextseq-170609/RunInfo.xml'));
    expect(nextseq).toMatchObject({ version: 4, instrument: 'NB551051', flowcell: 'HLFFJBGX2' });
    expect(nextseq).toMatchObject({ lanes: 4, sectionsPerLane: 3, lanesPerSection: 2 });
    expect(nextseq.tiles).toHaveLength(864);
    expect(basesMask(nextseq)).toBe('y75,I8,y75');
    expect(nextseq.totalCycles).toBe(158);
  });

  it('reads the NovaSeq 6000 run (v5, US date with time)', () => {
    const ri = parseRunInfo(read('novaseq-190414/RunInfo.xml'));
    expect(ri).toMatchObject({
      version: 5,
      number: 296,
      flowcell: 'HJCWWDSXX',
      instrument: 'A00111',
    });
    expect(ri.date).toBe('2019-04-14T13:17:20Z');
    expect(ri.tiles.map((t) => t.name)).toEqual(['1_1101', '1_1102', '1_1103']);
    expect(basesMask(ri)).toBe('y4,I8,I8,y4');
  });

  it('reads every RunInfo in the test data', () => {
    const files = readdirSync(F + 'runinfo').filter((f) => f.startsWith('RunInfo'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const ri = parseRunInfo(read('runinfo/' + f));
      expect(ri.reads.length, f).toBeGreaterThan(0);
      expect(ri.flowcell, f).toBeTruthy();
    }
  });

  it('refuses a RunInfo without reads, with a bad IsIndexedRead, or not XML, naming the line', () => {
    expect(() => parseRunInfo(read('runinfo/bad_RunInfo_no_reads.xml'))).toThrow(/no <Read>/);
    expect(() => parseRunInfo(read('runinfo/weird_RunInfo.xml'))).toThrow(
      /IsIndexedRead="Q" \(expected Y or N\) \(line 8\)/,
    );
    const cut = read('miseq-130417/RunInfo.xml').slice(0, 300);
    expect(() => parseRunInfo(cut)).toThrow(FormatError);
    expect(() =>
      parseRunInfo('<RunInfo><Run><Reads><Read Number="1"/></Reads></Run></RunInfo>'),
    ).toThrow(/NumCycles \(line 1\)/);
    expect(() => parseRunInfo('')).toThrow(/empty/);
    // One line, even for the validator's multi-line messages (unclosed tags).
    expect(() => parseRunInfo('<RunInfo>\n<Run>\n<Reads>\n')).toThrow(
      /^RunInfo.xml: is not well-formed XML: [^\n]*\(line \d+\)$/,
    );
    expect(() => parseRunInfo('<foo/>')).toThrow(/no <RunInfo>/);
    // The validator passes an unclosed processing instruction after the root; the parser then
    // threw a plain Error (a 500 on run import). Found by the parser fuzzer.
    expect(() => parseRunInfo('<?xml version="1.0"?><RunInfo/><?x')).toThrow(FormatError);
    expect(() => parseRunInfo('<?xml version="1.0"?><RunInfo/><?x')).toThrow(
      /^RunInfo.xml: is not well-formed XML: Pi Tag is not closed/,
    );
  });

  it('an empty tile list is no tiles (bcl2fastr bad_RunInfo_no_tiles)', () => {
    expect(parseRunInfo(read('runinfo/bad_RunInfo_no_tiles.xml')).tiles).toEqual([]);
  });

  it('reads run dates in the forms instruments write', () => {
    expect(runDateIso('150821')).toBe('2015-08-21');
    expect(runDateIso('4/14/2019 1:17:20 PM')).toBe('2019-04-14T13:17:20Z');
    expect(runDateIso('4/14/2019 12:05:00 AM')).toBe('2019-04-14T00:05:00Z');
    expect(runDateIso('2024-09-27T14:48:52Z')).toBe('2024-09-27T14:48:52Z');
    expect(runDateIso('151399')).toBeUndefined();
    expect(runDateIso('yesterday')).toBeUndefined();
  });
});
