import { parseVcfRecord, type VcfHeaderInfo } from '../../formats/index.js';
import { BufferPool } from '../../services/index.js';
import { variant } from './genomics.presenter.js';

/** Distinct FORMAT strings remembered per writer (a file has a handful; the bound keeps memory flat). */
const MAX_FORMATS = 256;

const TAB = 9;
const NEWLINE = 10;
const QUOTE = 34;
const COMMA = 44;
const DOT = 46;
const COLON = 58;
const SEMICOLON = 59;
const EQUALS = 61;
const BACKSLASH = 92;

/**
 * Per byte, what the byte path's first pass does with it: 0 copy, 1 a tab (a column's end),
 * 2 leave the line to the object path (bytes JSON escapes, or not ASCII). One table load per
 * byte instead of five comparisons.
 */
const BYTE_CLASS = new Uint8Array(256).map((_, c) =>
  c === TAB ? 1 : c < 32 || c === QUOTE || c === BACKSLASH || c > 126 ? 2 : 0,
);

const ascii = (s: string) => Buffer.from(s, 'latin1');
const EMPTY: Buffer = Buffer.alloc(0);
const RECORD = ascii('{"CHROM":"');
const POS = ascii('","POS":');
const ID = ascii(',"ID":');
const REF = ascii(',"REF":"');
const ALT = ascii('","ALT":"');
const QUAL = ascii('","QUAL":');
const FILTER_AFTER_QUAL = ascii(',"FILTER":"');
const FILTER = ascii('","FILTER":"');
const INFO = ascii('","INFO":');
const SAMPLES = ascii(',"SampleFormat":{');

/** A key's place in a JSON object: its `"key":` bytes (comma first unless the first), its value's index. */
interface KeyPlan {
  prefix: Buffer;
  index: number;
}

/**
 * Keys in the order and with the values `JSON.stringify` shows for an object built by assigning
 * `keys[i]` in turn: array-index keys first in numeric order, a repeated key at its first place
 * with its last value, `__proto__` (a prototype, not a property) left out. Built by doing exactly
 * that once, so the order is V8's own.
 */
function jsonKeyPlan(keys: readonly string[]): KeyPlan[] {
  const o: Record<string, { index: number }> = {};
  keys.forEach((k, index) => {
    o[k] = { index };
  });
  return Object.keys(o).map((k, n) => ({
    prefix: Buffer.from(`${n === 0 ? '' : ','}${JSON.stringify(k)}:`, 'utf8'),
    index: o[k]!.index,
  }));
}

interface FormatPlan {
  keys: KeyPlan[];
  /** Output bytes per sample besides its values: prefixes, quotes, braces. */
  cost: number;
  /** Pieces of a sample column to locate: the highest index any key takes, plus one. */
  pieces: number;
}

/**
 * A page of variant records' JSON written straight from their VCF lines into bytes, in one pass
 * without record objects or strings: each record is exactly
 * `JSON.stringify(variant(parseVcfRecord(line, samples)))`, byte for byte (test/http/
 * variant-json.test.ts compares the two on real files). Building those objects, serializing them
 * and then turning the string into bytes was most of a variant query's CPU (bench/README.md).
 * A line this path does not cover takes the object path: one with bytes that JSON escapes
 * (quotes, backslashes, controls) or that are not ASCII, fewer than 8 columns, or INFO keys that
 * JSON would reorder or drop (a leading digit, `__proto__`, a repeat).
 */
export class VariantJsonWriter {
  private readonly samplePlan: KeyPlan[];
  private readonly sampleCost: number;
  private readonly formats = new Map<string, FormatPlan>();
  private lastFormat = Buffer.alloc(0);
  private lastPlan: FormatPlan | undefined;
  private tabs: Int32Array = new Int32Array(64);
  private pieces: Int32Array = new Int32Array(64);
  private readonly infoKeys = new Int32Array(512);
  private out: Buffer = EMPTY;
  private at = 0;

  constructor(private readonly samples: readonly string[]) {
    this.samplePlan = jsonKeyPlan(samples);
    this.sampleCost = this.samplePlan.reduce((n, s) => n + s.prefix.length + 2, 0);
  }

  /**
   * `head`, then the records of `vcf` (VCF data lines, each ending in a newline) as the items of
   * a JSON array, comma-separated, then `tail`: one buffer of UTF-8. Written into `into` (from
   * the start; the answer is then a view of it) while it has room, else into a fresh buffer.
   */
  page(vcf: Uint8Array, head: string, tail: string, into?: Buffer): Buffer {
    // A record's JSON is ~3.5x its line on typical files (short lines, one sample).
    this.out =
      into ?? Buffer.allocUnsafe(vcf.length * 4 + head.length * 3 + tail.length * 3 + 1024);
    this.at = 0;
    this.string(head);
    let start = 0;
    let first = true;
    while (start < vcf.length) {
      let end = vcf.indexOf(NEWLINE, start);
      if (end < 0) end = vcf.length;
      if (!first) this.byte(COMMA);
      first = false;
      const mark = this.at;
      if (!this.record(vcf, start, end)) {
        this.objectPath(vcf, start, end);
      } else if (this.at > this.out.length) {
        // A net under the size bound in record(): writes past a buffer's end are dropped
        // silently, so a line that outgrew it is written again the exact way.
        this.at = mark;
        this.objectPath(vcf, start, end);
      }
      start = end + 1;
    }
    this.string(tail);
    const answer = this.out.subarray(0, this.at);
    this.out = EMPTY;
    return answer;
  }

  /** One line [start, end) by the byte path; false (having written nothing) when it does not apply. */
  private record(src: Uint8Array, start: number, end: number): boolean {
    let nt = 0;
    let tabs = this.tabs;
    for (let i = start; i < end; i++) {
      const k = BYTE_CLASS[src[i]!]!;
      if (k === 0) continue;
      if (k === 2) return false;
      if (nt === tabs.length) tabs = this.growTabs();
      tabs[nt++] = i;
    }
    if (nt < 7) return false;
    // The line's end as one more tab: column k is then [tabs[k - 1] + 1, tabs[k]).
    if (nt === tabs.length) tabs = this.growTabs();
    tabs[nt] = end;
    // POS and QUAL as JavaScript writes the numbers: the file's text when that is the same.
    const pos = numberText(src, tabs[0]! + 1, tabs[1]!);
    const qualFrom = tabs[4]! + 1;
    const qualTo = tabs[5]!;
    const qual =
      qualTo - qualFrom === 1 && src[qualFrom] === DOT ? 'null' : numberText(src, qualFrom, qualTo);
    const plan = nt >= 8 ? this.formatPlan(src, tabs[7]! + 1, tabs[8]!) : undefined;
    // A byte of the line becomes at most 3.5 (a one-letter INFO flag and its ';' are `,"X":[]`);
    // sample prefixes and keys are counted apart, as a missing column writes them all.
    this.ensure(
      4 * (end - start) + 256 + (plan ? this.sampleCost + this.samplePlan.length * plan.cost : 0),
    );
    const mark = this.at;
    this.bytes(RECORD);
    this.copy(src, start, tabs[0]!);
    this.bytes(POS);
    if (pos === undefined) this.copy(src, tabs[0]! + 1, tabs[1]!);
    else this.ascii(pos);
    this.bytes(ID);
    const idFrom = tabs[1]! + 1;
    const idTo = tabs[2]!;
    if (idTo === idFrom || (idTo - idFrom === 1 && src[idFrom] === DOT)) {
      this.byte(91);
      this.byte(93);
    } else {
      this.byte(91);
      this.byte(QUOTE);
      this.split(src, idFrom, idTo, SEMICOLON);
      this.byte(QUOTE);
      this.byte(93);
    }
    this.bytes(REF);
    this.copy(src, tabs[2]! + 1, tabs[3]!);
    this.bytes(ALT);
    this.copy(src, tabs[3]! + 1, tabs[4]!);
    if (qual === 'null') {
      this.bytes(FILTER);
    } else {
      this.bytes(QUAL);
      if (qual === undefined) this.copy(src, qualFrom, qualTo);
      else this.ascii(qual);
      this.bytes(FILTER_AFTER_QUAL);
    }
    this.copy(src, tabs[5]! + 1, tabs[6]!);
    this.bytes(INFO);
    if (!this.info(src, tabs[6]! + 1, tabs[7]!)) {
      this.at = mark;
      return false;
    }
    this.bytes(SAMPLES);
    if (plan) {
      const pieces =
        this.pieces.length < plan.pieces * 2 ? this.growPieces(plan.pieces) : this.pieces;
      for (const s of this.samplePlan) {
        this.bytes(s.prefix);
        this.byte(123);
        const column = 9 + s.index;
        // The column's first `plan.pieces` ':'-separated values, as [from, to) pairs; a sample
        // without a column has none (every key then reads '.', as the object path's '.'.split).
        let found = 0;
        if (column <= nt) {
          const cTo = tabs[column]!;
          let p = tabs[column - 1]! + 1;
          while (found < plan.pieces) {
            const colon = find(src, COLON, p, cTo);
            pieces[found * 2] = p;
            pieces[found * 2 + 1] = colon;
            found++;
            if (colon === cTo) break;
            p = colon + 1;
          }
        }
        for (const k of plan.keys) {
          this.bytes(k.prefix);
          this.byte(QUOTE);
          if (k.index < found) this.copy(src, pieces[k.index * 2]!, pieces[k.index * 2 + 1]!);
          else this.byte(DOT);
          this.byte(QUOTE);
        }
        this.byte(125);
      }
    }
    this.byte(125);
    this.byte(125);
    return true;
  }

  /** INFO's `{...}` (`.` or empty: `{}`); false when a key needs the object path. */
  private info(src: Uint8Array, from: number, to: number): boolean {
    this.byte(123);
    if (to === from || (to - from === 1 && src[from] === DOT)) {
      this.byte(125);
      return true;
    }
    const keys = this.infoKeys;
    let nkeys = 0;
    let p = from;
    while (p <= to) {
      const pairEnd = find(src, SEMICOLON, p, to);
      if (pairEnd > p) {
        const eq = find(src, EQUALS, p, pairEnd);
        const c = src[p]!;
        if ((eq > p && c >= 48 && c <= 57) || isProto(src, p, eq)) return false;
        for (let k = 0; k < nkeys; k++) {
          if (sameBytes(src, keys[k * 2]!, keys[k * 2 + 1]!, p, eq)) return false;
        }
        if (nkeys * 2 + 2 > keys.length) return false;
        keys[nkeys * 2] = p;
        keys[nkeys * 2 + 1] = eq;
        if (nkeys > 0) this.byte(COMMA);
        nkeys++;
        this.byte(QUOTE);
        this.copy(src, p, eq);
        this.byte(QUOTE);
        this.byte(COLON);
        if (eq === pairEnd) {
          this.byte(91);
          this.byte(93);
        } else {
          this.byte(91);
          this.byte(QUOTE);
          this.split(src, eq + 1, pairEnd, COMMA);
          this.byte(QUOTE);
          this.byte(93);
        }
      }
      p = pairEnd + 1;
    }
    this.byte(125);
    return true;
  }

  /** The plan for a FORMAT column (the last one again, without a lookup, when the bytes repeat). */
  private formatPlan(src: Uint8Array, from: number, to: number): FormatPlan {
    const last = this.lastFormat;
    if (
      this.lastPlan &&
      last.length === to - from &&
      sameBytes(last, 0, last.length, from, to, src)
    ) {
      return this.lastPlan;
    }
    const text = Buffer.from(src.buffer, src.byteOffset + from, to - from).toString('latin1');
    let plan = this.formats.get(text);
    if (!plan) {
      const keys = jsonKeyPlan(text.split(':'));
      plan = {
        keys,
        cost: 2 + keys.reduce((n, k) => n + k.prefix.length + 3, 0),
        pieces: keys.reduce((n, k) => Math.max(n, k.index + 1), 0),
      };
      if (this.formats.size >= MAX_FORMATS) this.formats.clear();
      this.formats.set(text, plan);
    }
    this.lastFormat = Buffer.from(src.subarray(from, to));
    this.lastPlan = plan;
    return plan;
  }

  /** The exact old path, for lines the byte path leaves out. */
  private objectPath(src: Uint8Array, start: number, end: number): void {
    const line = Buffer.from(src.buffer, src.byteOffset + start, end - start).toString('utf8');
    this.string(JSON.stringify(variant(parseVcfRecord(line, this.samples))));
  }

  private string(s: string): void {
    this.ensure(Buffer.byteLength(s, 'utf8'));
    this.at += this.out.write(s, this.at, 'utf8');
  }

  /** Bytes [from, to) of src with each `sep` written as `","`. */
  private split(src: Uint8Array, from: number, to: number, sep: number): void {
    const out = this.out;
    let at = this.at;
    for (let i = from; i < to; i++) {
      const c = src[i]!;
      if (c === sep) {
        out[at++] = QUOTE;
        out[at++] = COMMA;
        out[at++] = QUOTE;
      } else {
        out[at++] = c;
      }
    }
    this.at = at;
  }

  private copy(src: Uint8Array, from: number, to: number): void {
    const out = this.out;
    let at = this.at;
    for (let i = from; i < to; i++) out[at++] = src[i]!;
    this.at = at;
  }

  /** A short ASCII string (a number's text). */
  private ascii(s: string): void {
    const out = this.out;
    let at = this.at;
    for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
    this.at = at;
  }

  private bytes(b: Buffer): void {
    const out = this.out;
    let at = this.at;
    for (let i = 0; i < b.length; i++) out[at++] = b[i]!;
    this.at = at;
  }

  private byte(c: number): void {
    this.out[this.at++] = c;
  }

  private ensure(n: number): void {
    if (this.at + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + n));
    this.out.copy(bigger, 0, 0, this.at);
    this.out = bigger;
  }

  private growTabs(): Int32Array {
    const bigger = new Int32Array(this.tabs.length * 2);
    bigger.set(this.tabs);
    return (this.tabs = bigger);
  }

  private growPieces(pieces: number): Int32Array {
    return (this.pieces = new Int32Array(pieces * 2));
  }
}

/**
 * How `JSON.stringify(Number(text))` writes the ASCII number at [from, to): undefined when that
 * is the text itself (the common case, copied), else the text to write (`null` when not finite).
 */
function numberText(src: Uint8Array, from: number, to: number): string | undefined {
  if (canonicalNumber(src, from, to)) return undefined;
  const n = Number(Buffer.from(src.buffer, src.byteOffset + from, to - from).toString('latin1'));
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * True when bytes [from, to) are a number exactly as JavaScript writes it back (`String(Number(x))`
 * gives the same text), false otherwise: up to 15 significant digits, no sign, no leading zero
 * (but `0`, `0.5`), no trailing zero after a point, no exponent, at least 0.000001.
 */
function canonicalNumber(src: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  if (n === 0 || n > 16) return false;
  let digits = 0;
  let point = -1;
  for (let i = from; i < to; i++) {
    const c = src[i]!;
    if (c >= 48 && c <= 57) digits++;
    else if (c === DOT && point < 0) point = i;
    else return false;
  }
  if (digits > 15 || point === from || point === to - 1) return false;
  if (src[from] === 48 && to - from > 1 && point !== from + 1) return false;
  if (point < 0) return true;
  if (src[to - 1] === 48) return false;
  // 0.0000001 and below are written with an exponent.
  if (src[from] === 48 && to - point > 6) {
    for (let i = point + 1; i <= point + 6; i++) if (src[i] !== 48) return true;
    return false;
  }
  return true;
}

/** The first `c` in [from, to), or `to`. */
function find(src: Uint8Array, c: number, from: number, to: number): number {
  let i = from;
  while (i < to && src[i] !== c) i++;
  return i;
}

function isProto(src: Uint8Array, from: number, to: number): boolean {
  return (
    to - from === 9 &&
    Buffer.from(src.buffer, src.byteOffset + from, 9).toString('latin1') === '__proto__'
  );
}

function sameBytes(
  a: Uint8Array,
  aFrom: number,
  aTo: number,
  bFrom: number,
  bTo: number,
  b: Uint8Array = a,
): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let i = 0; i < aTo - aFrom; i++) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}

/**
 * Buffers the route writes variant answers into (a page of 1,000 short records is ~150 KiB of
 * JSON), each given back on its response's 'finish'; a larger answer outgrows it into a fresh one.
 */
export const variantAnswers = new BufferPool(256 * 1024, 32);

/** One writer per parsed header (the service keeps those per file), so FORMAT plans carry over. */
const writers = new WeakMap<VcfHeaderInfo, VariantJsonWriter>();

/** The writer for a file's header. */
export function variantWriter(header: VcfHeaderInfo): VariantJsonWriter {
  let w = writers.get(header);
  if (!w) {
    w = new VariantJsonWriter(header.samples);
    writers.set(header, w);
  }
  return w;
}
