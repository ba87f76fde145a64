import { describe, expect, it } from 'vitest';
import { ProgressLine, formatBytes, formatDuration, formatProgress } from './progress.js';

describe('progress line', () => {
  it('formats sizes, durations and the whole line', () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '5.0 GiB',
    ]);
    expect([undefined, Infinity, 0, 65, 3725].map(formatDuration)).toEqual([
      '--:--',
      '--:--',
      '0:00',
      '1:05',
      '1:02:05',
    ]);
    expect(
      formatProgress(
        {
          bytesDone: 512 * 1024,
          bytesTotal: 2048 * 1024,
          filesDone: 3,
          filesTotal: 12,
          rate: 256 * 1024,
        },
        8,
      ),
    ).toBe('[=>      ]  25% 512.0 KiB/2.0 MiB  256.0 KiB/s  ETA 0:06  files 3/12');
    expect(
      formatProgress(
        { bytesDone: 0, bytesTotal: 10, filesDone: 0, filesTotal: 1, rate: undefined },
        4,
      ),
    ).toBe('[    ]   0% 0 B/10 B  -  ETA --:--  files 0/1');
  });

  it('measures the rate over recent seconds and redraws at most every 200 ms (files always)', () => {
    let now = 0;
    const drawn: string[] = [];
    const line = new ProgressLine(
      (t) => drawn.push(t),
      { bytes: 10_000, files: 2 },
      () => now,
    );
    now = 100;
    line.addBytes(1000);
    expect(drawn).toHaveLength(1);
    now = 150;
    line.addBytes(1000);
    expect(drawn).toHaveLength(1);
    now = 1000;
    line.addBytes(1000);
    expect(line.current.rate).toBe(3000);
    now = 1050;
    line.fileDone();
    expect(drawn).toHaveLength(3);
    expect(drawn.at(-1)).toMatch(/^\r\[.*\] {2}30% .* ETA 0:02 {2}files 1\/2$/);
    line.finish();
    expect(drawn.at(-1)).toMatch(/^\r +\r$/);
    const silent = new ProgressLine(undefined, { bytes: 1, files: 1 });
    silent.addBytes(1);
    expect(silent.current.bytesDone).toBe(1);
  });
});
