/** Counters a progress line shows. */
export interface ProgressState {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Bytes per second, or undefined before there is a measure. */
  rate: number | undefined;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1.5 MiB`: binary units, one decimal past bytes. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `1:02:03` or `2:03`; `--:--` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** One line: `[=====>    ]  42% 12.0 MiB/29.0 MiB  4.1 MiB/s  ETA 0:04  files 12/40`. */
export function formatProgress(p: ProgressState, barWidth = 24): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 1;
  const filled = Math.round(fraction * barWidth);
  const bar =
    filled >= barWidth
      ? '='.repeat(barWidth)
      : `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(barWidth - filled)}`;
  const eta =
    p.rate && p.rate > 0 ? (p.bytesTotal - p.bytesDone) / p.rate : fraction >= 1 ? 0 : undefined;
  return (
    `[${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
    `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ` +
    `${p.rate === undefined ? '-' : `${formatBytes(Math.round(p.rate))}/s`}  ` +
    `ETA ${formatDuration(eta)}  files ${p.filesDone}/${p.filesTotal}`
  );
}

/** How often the line is redrawn: often enough to look live, rarely enough to cost nothing. */
const REDRAW_MS = 200;
/** The rate is measured over this window, so a stall or a burst shows within seconds. */
const RATE_WINDOW_MS = 5000;
/**
 * Rate samples are kept at most this often: a download calls tick per 64 KiB chunk (16,000 times
 * a GiB), and keeping every call made the window thousands long and its shift() quadratic (1.5 s
 * of CPU per GiB in a profile of `seqhub download`).
 */
const SAMPLE_MS = 100;

/**
 * A progress line redrawn in place on a terminal (`\r`), with rate over the last seconds and an
 * ETA. Disabled, it only counts (off when stdout is not a TTY or with --quiet).
 */
export class ProgressLine {
  private state: ProgressState;
  private samples: { at: number; bytes: number }[] = [];
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly write: ((text: string) => void) | undefined,
    totals: { bytes: number; files: number; bytesDone?: number; filesDone?: number },
    private readonly now: () => number = Date.now,
  ) {
    this.state = {
      bytesDone: totals.bytesDone ?? 0,
      bytesTotal: totals.bytes,
      filesDone: totals.filesDone ?? 0,
      filesTotal: totals.files,
      rate: undefined,
    };
    this.samples.push({ at: now(), bytes: this.state.bytesDone });
  }

  get current(): Readonly<ProgressState> {
    return this.state;
  }

  addBytes(n: number): void {
    this.state.bytesDone += n;
    this.tick();
  }

  fileDone(): void {
    this.state.filesDone++;
    this.tick(true);
  }

  /** Clears the line so the next output starts on a clean line. */
  finish(): void {
    if (this.write && this.drawn) this.write(`\r${' '.repeat(100)}\r`);
    this.drawn = false;
  }

  private tick(force = false): void {
    const at = this.now();
    const last = this.samples[this.samples.length - 1]!;
    if (at - last.at >= SAMPLE_MS) this.samples.push({ at, bytes: this.state.bytesDone });
    while (this.samples.length > 2 && at - this.samples[0]!.at > RATE_WINDOW_MS)
      this.samples.shift();
    const first = this.samples[0]!;
    if (at - first.at >= 500)
      this.state.rate = ((this.state.bytesDone - first.bytes) * 1000) / (at - first.at);
    if (!this.write || (!force && at - this.lastDraw < REDRAW_MS)) return;
    this.lastDraw = at;
    this.drawn = true;
    this.write(`\r${formatProgress(this.state)}`);
  }
}
