import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseVcfHeader, parseVcfRecord } from '../../src/formats/index.js';
import { variant } from '../../src/http/presenters/genomics.presenter.js';
import { VariantJsonWriter } from '../../src/http/presenters/variant-json.presenter.js';
import { NA12878, fixture } from '../support/genomics.js';

/**
 * The one-pass writer of variant JSON (variant-json.presenter.ts) against the object path it
 * replaced, `JSON.stringify(variant(parseVcfRecord(line, samples)))`: byte for byte, on real files
 * (multi-sample, gVCF blocks, GATK annotations, flags, missing QUAL), on a file of the cases the
 * byte path hands back to the object path, and on random lines.
 */

function vcfOf(name: string): { samples: string[]; lines: string[] } {
  const bytes = readFileSync(fixture(name));
  const text = (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  const header = parseVcfHeader(text.split(/^(?=[^#])/m)[0]!);
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { samples: header.samples, lines };
}

const objectPath = (lines: readonly string[], samples: readonly string[]) =>
  `[${lines.map((l) => JSON.stringify(variant(parseVcfRecord(l, samples)))).join(',')}]`;

const bytePath = (w: VariantJsonWriter, lines: readonly string[]) =>
  w.page(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'), '[', ']').toString('utf8');

describe('variant JSON writer', () => {
  it.each([
    NA12878,
    'raw.g.vcf.gz',
    'volvox.test.vcf.gz',
    'picard-mini.300.vcf.gz',
    'variant-edge-cases.vcf',
  ])('writes exactly what the object path wrote: %s, in pages of 1000', (name) => {
    const { samples, lines } = vcfOf(name);
    expect(lines.length).toBeGreaterThanOrEqual(20);
    const w = new VariantJsonWriter(samples);
    for (let i = 0; i < lines.length; i += 1000) {
      const page = lines.slice(i, i + 1000);
      expect(bytePath(w, page)).toBe(objectPath(page, samples));
    }
    // One line at a time too (the writer keeps FORMAT plans between pages).
    for (const line of lines.slice(0, 200)) {
      expect(bytePath(w, [line])).toBe(objectPath([line], samples));
    }
  });

  it('the edge cases come out as JSON says (escapes, numbers, key order, missing columns)', () => {
    const { samples, lines } = vcfOf('variant-edge-cases.vcf');
    const w = new VariantJsonWriter(samples);
    const at = (pos: number) =>
      JSON.parse(bytePath(w, [lines.find((l) => l.split('\t')[1] === `${pos}`)!]))[0];
    // `__proto__` is not a property of the object path's map, so no sample of that name shows.
    expect(Object.keys(at(100).SampleFormat)).toEqual(['3', '20', 's"q', 'é', '20b']);
    expect(at(100)).toMatchObject({
      ID: ['rs1', 'rs2'],
      ALT: 'G,T',
      INFO: { DB: [], H2: [], AF: ['0.1', '0.2'] },
      SampleFormat: {
        '20': { GT: '0|1', AD: '1,2' },
        's"q': { GT: './.', AD: '.' },
        '3': { GT: '0/0', AD: '' },
        é: { GT: '.', AD: '.' },
        // No column for the last sample: every key reads '.'.
        '20b': { GT: '.', AD: '.' },
      },
    });
    expect(at(100)).not.toHaveProperty('QUAL');
    expect(at(200).INFO).toEqual({ NOTE: ['a"b\\c'], ANN: ['é→✓'], E: ['😀'] });
    expect([300, 301, 302, 303, 304, 306].map((p) => at(p).QUAL)).toEqual([
      50, 1000, 1e-7, 0, 7, 0.000001,
    ]);
    expect(at(305)).not.toHaveProperty('QUAL');
    expect(at(400).INFO).toEqual({ DP: ['2'] });
    expect(Object.keys(at(401).INFO)).toEqual(['2', '1KG', 'AF']);
    expect(Object.keys(at(402).INFO)).toEqual(['constructor', 'toJSON']);
    expect(at(500).SampleFormat['20']).toEqual({ GT: '1/1', AD: '2,2' });
    expect(Object.keys(at(502).SampleFormat['20'])).toEqual(['1', 'GT', 'AD']);
    expect(at(600).INFO).toEqual({ A: [''], '': ['5'], B: ['1', '', '2'] });
    expect(at(700).SampleFormat).toEqual({});
    expect(at(950).INFO.NOTE).toEqual(['bell\u0007here']);
    // A carriage return before the newline stays in the last column, as the object path kept it.
    const crlf = 'chrE\t960\t.\tA\tG\t13\tPASS\tDP=9\tGT\t0/1\t0/1\t0/1\t0/1\t0/1\t0/1\r';
    expect(bytePath(w, [crlf])).toBe(objectPath([crlf], samples));
    expect(JSON.parse(bytePath(w, [crlf]))[0].SampleFormat['20b'].GT).toBe('0/1\r');
  });

  it('lines whose JSON is several times their length (one-letter flags, empty values) fill one page', () => {
    const letters = 'ABCEFGHIJKLMNOQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const w = new VariantJsonWriter(['S']);
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const info = [...letters.slice(0, 10 + (i % 40))].join(';');
      const tail = i % 3 === 0 ? `;Z1=${','.repeat(i)}` : i % 3 === 1 ? ';=' : '';
      lines.push(
        `c\t${i + 1}\t${';'.repeat(i % 7)}x\tA\tG\t1\tP\t${info}${tail}\tGT:AD\t${':'.repeat(i % 5)}`,
      );
    }
    expect(bytePath(w, lines)).toBe(objectPath(lines, ['S']));
    for (let i = 0; i < lines.length; i += 37) {
      expect(bytePath(w, lines.slice(i, i + 37))).toBe(objectPath(lines.slice(i, i + 37), ['S']));
    }
  });

  it('random lines: the same bytes as the object path', () => {
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
    const numbers = [
      '0',
      '1',
      '10',
      '007',
      '1.50',
      '1e3',
      '-2',
      '.5',
      '5.',
      '0.0000001',
      '0.000001',
    ];
    const more = ['1234567890123456', '3.14159', 'NaN', 'Infinity', '', '.', ' 5', '0x10', '1_0'];
    const texts = [
      '.',
      '',
      'A',
      'x"y',
      'b\\s',
      'é',
      '😀',
      '\u0001',
      ';',
      ',',
      ':',
      '=',
      '__proto__',
    ];
    const keys = ['DP', 'AF', '1K', '__proto__', '', 'DB', 'toJSON', 'DP', 'é', 'q"'];
    const value = () => Array.from({ length: 1 + rand(3) }, () => pick(texts)).join('');
    const info = () =>
      rand(5) === 0
        ? pick(['.', ''])
        : Array.from({ length: rand(5) }, () =>
            rand(3) === 0 ? pick(keys) : `${pick(keys)}=${value()},${value()}`,
          ).join(';');
    const samples = ['S1', '2', '__proto__', 'S1', 'a"b'];
    const w = new VariantJsonWriter(samples);
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const format = Array.from({ length: rand(4) }, () =>
        pick(['GT', 'AD', '1', 'GT', '__proto__']),
      );
      const columns = [
        pick(['chr1', 'c"1', '1']),
        pick([...numbers, ...more]),
        pick(['.', 'rs1', 'rs1;rs2', '', 'a"b;']),
        pick(['A', 'ACGT', '']),
        pick(['G', 'G,T', '<DEL>', '.']),
        pick([...numbers, ...more]),
        pick(['PASS', '.', 'q10;s50']),
        info(),
        format.join(':'),
        ...Array.from({ length: rand(7) }, () =>
          Array.from({ length: rand(4) }, () => value()).join(':'),
        ),
      ];
      lines.push(columns.slice(0, 6 + rand(columns.length - 5)).join('\t'));
    }
    for (let i = 0; i < lines.length; i += 250) {
      const page = lines.slice(i, i + 250);
      expect(bytePath(w, page)).toBe(objectPath(page, samples));
    }
  });
});
