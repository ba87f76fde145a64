import type { SampleSheet } from '../formats/samplesheet.js';
import { badRequest } from './errors.js';

/**
 * The sample sheet's adapter settings (v2 `[BCLConvert_Settings]`, v1 `[Settings]`), as written;
 * adapters are off when neither read has one.
 */
export interface AdapterSettings {
  /** Read 1 adapter(s), `+`-separated (BCL Convert: independent adapters, each assessed). */
  adapterRead1?: string | undefined;
  adapterRead2?: string | undefined;
  /** `trim` (default) or `mask`. */
  adapterBehavior?: string | undefined;
  /** Minimum MatchCount / (MatchCount + MismatchCount) of a match, 0.5 to 1; default 0.9. */
  adapterStringency?: number | undefined;
  /** Fewest adapter bases a match needs (1, 2 or 3); default 1. */
  minimumAdapterOverlap?: number | undefined;
  /** Trimmed reads shorter than this are padded with N to it; default 35 (capped at the read length). */
  minimumTrimmedReadLength?: number | undefined;
  /** Reads with fewer bases than this left before the adapter are masked with N whole; default 22. */
  maskShortReads?: number | undefined;
}

/** The adapter rule of one output read, ready for {@link applyAdapters}. */
export interface AdapterRule {
  /** ASCII bases of each adapter. */
  adapters: Uint8Array[];
  behavior: 'trim' | 'mask';
  stringency: number;
  minimumOverlap: number;
  /** MinimumTrimmedReadLength, capped at the read's length. */
  minimumLength: number;
  /** MaskShortReads, capped at {@link minimumLength}. */
  maskShort: number;
}

export const DEFAULT_ADAPTER_STRINGENCY = 0.9;
export const DEFAULT_MINIMUM_ADAPTER_OVERLAP = 1;
export const DEFAULT_MINIMUM_TRIMMED_READ_LENGTH = 35;
export const DEFAULT_MASK_SHORT_READS = 22;

const ADAPTER = /^[ACGT]+$/;
const N = 78;
/** Quality of a masked base: `#` (Q2), as no-calls are written. */
const MASKED_QUAL = 35;

/**
 * The adapter settings of a sample sheet. BCL Convert's names in either version; v1 sheets'
 * `Adapter` is read 1's (and read 2's when there is no `AdapterRead2`), as bcl2fastq reads it.
 * A number that does not parse is a 400 naming the setting.
 */
export function adapterSettingsFromSheet(sheet: SampleSheet): AdapterSettings {
  const setting = (name: string) => {
    const key = Object.keys(sheet.settings).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : sheet.settings[key]!.trim() || undefined;
  };
  const number = (name: string) => {
    const v = setting(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n))
      throw badRequest(`sample sheet setting ${name} '${v}' is not a number`);
    return n;
  };
  return {
    adapterRead1: sheet.adapterRead1,
    adapterRead2: sheet.adapterRead2,
    adapterBehavior: setting('AdapterBehavior'),
    adapterStringency: number('AdapterStringency'),
    minimumAdapterOverlap: number('MinimumAdapterOverlap'),
    minimumTrimmedReadLength: number('MinimumTrimmedReadLength'),
    maskShortReads: number('MaskShortReads'),
  };
}

/**
 * The rule of each output read (R1, R2...) of the given lengths, or undefined for a read without
 * adapter; refuses (400) what BCL Convert refuses: bases other than A/C/G/T, a behavior other than
 * trim/mask, a stringency outside 0.5-1, an overlap other than 1-3, negative lengths.
 */
export function adapterRules(
  settings: AdapterSettings | undefined,
  reads: { read: number; length: number }[],
): (AdapterRule | undefined)[] {
  const none = reads.map(() => undefined);
  if (!settings) return none;
  const lists = [settings.adapterRead1, settings.adapterRead2].map((text, k) => {
    if (text === undefined || text.trim() === '') return undefined;
    return text
      .trim()
      .toUpperCase()
      .split('+')
      .map((a) => {
        if (!ADAPTER.test(a))
          throw badRequest(
            `AdapterRead${k + 1} '${text}' may only hold A, C, G, T (and + between adapters)`,
          );
        return Uint8Array.from(a, (c) => c.charCodeAt(0));
      });
  });
  if (!lists[0] && !lists[1]) return none;
  const behavior = (settings.adapterBehavior ?? 'trim').toLowerCase();
  if (behavior !== 'trim' && behavior !== 'mask')
    throw badRequest(`AdapterBehavior must be trim or mask, not '${settings.adapterBehavior}'`);
  const stringency = settings.adapterStringency ?? DEFAULT_ADAPTER_STRINGENCY;
  if (!(stringency >= 0.5 && stringency <= 1))
    throw badRequest(`AdapterStringency must be between 0.5 and 1, not ${stringency}`);
  const minimumOverlap = settings.minimumAdapterOverlap ?? DEFAULT_MINIMUM_ADAPTER_OVERLAP;
  if (![1, 2, 3].includes(minimumOverlap))
    throw badRequest(`MinimumAdapterOverlap must be 1, 2 or 3, not ${minimumOverlap}`);
  const minimumTrimmed = settings.minimumTrimmedReadLength ?? DEFAULT_MINIMUM_TRIMMED_READ_LENGTH;
  const maskShortReads = settings.maskShortReads ?? DEFAULT_MASK_SHORT_READS;
  for (const [name, v] of [
    ['MinimumTrimmedReadLength', minimumTrimmed],
    ['MaskShortReads', maskShortReads],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw badRequest(`${name} must be a whole number of bases, not ${v}`);
  }
  return reads.map(({ read, length }) => {
    const adapters = lists[read - 1];
    if (!adapters) return undefined;
    const minimumLength = Math.min(minimumTrimmed, length);
    return {
      adapters,
      behavior,
      stringency,
      minimumOverlap,
      minimumLength,
      maskShort: Math.min(maskShortReads, minimumLength),
    };
  });
}

/**
 * Where an adapter starts in a read, by the sliding-window rule of bcl2fastq
 * (`--find-adapters-with-sliding-window`) and BCL Convert (`FindAdaptersWithIndels=false`): the
 * first (0-based) position whose bases, compared with the adapter's start over the overlap
 * (the adapter's length, or what is left of the read at its end), match at a rate
 * matches / overlap >= stringency, over an overlap of at least `minimumOverlap` bases. A no-call
 * (N) is a mismatch.
 *
 * @returns the 0-based start, or `length` when the read holds no adapter.
 */
export function findAdapter(
  bases: Uint8Array,
  length: number,
  adapter: Uint8Array,
  stringency: number,
  minimumOverlap: number,
): number {
  const a = adapter.length;
  for (let i = 0; i + minimumOverlap <= length; i++) {
    const overlap = Math.min(a, length - i);
    if (overlap < minimumOverlap) break;
    // The most mismatches a match may have; the small slack keeps 0.9 * 10 = 9 exact.
    const allowed = Math.floor(overlap * (1 - stringency) + 1e-9);
    let mismatches = 0;
    for (let k = 0; k < overlap && mismatches <= allowed; k++) {
      if (bases[i + k] !== adapter[k]) mismatches++;
    }
    if (mismatches <= allowed) return i;
  }
  return length;
}

/** What {@link applyAdapters} did to one read. */
export interface AdapterOutcome {
  /** The read's length after trimming (unchanged when masking). */
  length: number;
  /** Where the adapter starts, or the read's length when there is none. */
  adapterStart: number;
  /** Bases kept as called (BCL Convert's SampleBases); the rest were trimmed or masked (AdapterBases). */
  kept: number;
}

/**
 * Trims or masks the adapter of one read in place, as BCL Convert does: with `trim`, the read
 * ends where the adapter starts but not below `minimumLength`, the bases up to it becoming N; with
 * `mask`, every base from the adapter on becomes N. A read with fewer than `maskShort` bases
 * before its adapter becomes all N. Masked bases get quality `#` (Q2).
 *
 * @param bases ASCII bases, `length` of them used; the buffer may be longer.
 */
export function applyAdapters(
  bases: Uint8Array,
  quals: Uint8Array,
  length: number,
  rule: AdapterRule,
): AdapterOutcome {
  let start = length;
  for (const adapter of rule.adapters) {
    start = Math.min(
      start,
      findAdapter(bases, length, adapter, rule.stringency, rule.minimumOverlap),
    );
  }
  if (start >= length) return { length, adapterStart: length, kept: length };
  const out = rule.behavior === 'trim' ? Math.max(start, rule.minimumLength) : length;
  const kept = start < rule.maskShort ? 0 : start;
  bases.fill(N, kept, out);
  quals.fill(MASKED_QUAL, kept, out);
  return { length: out, adapterStart: start, kept };
}
