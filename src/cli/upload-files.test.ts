import { describe, expect, it } from 'vitest';
import { globToRegExp } from './upload-files.js';

describe('globToRegExp', () => {
  it('* and ? stay inside one folder; ** crosses folders; {a,b} is a choice; dots are literal', () => {
    expect(globToRegExp('*.fastq.gz').test('a.fastq.gz')).toBe(true);
    expect(globToRegExp('*.fastq.gz').test('dir/a.fastq.gz')).toBe(false);
    expect(globToRegExp('*.fastq.gz').test('afastqxgz')).toBe(false);
    expect(globToRegExp('**/*.bam').test('a/b/c.bam')).toBe(true);
    expect(globToRegExp('**/*.bam').test('c.bam')).toBe(true);
    expect(globToRegExp('reads/**').test('reads/x/y.txt')).toBe(true);
    expect(globToRegExp('s?.txt').test('s1.txt')).toBe(true);
    expect(globToRegExp('s?.txt').test('s/.txt')).toBe(false);
    expect(globToRegExp('*.{bam,bai}').test('x.bai')).toBe(true);
    expect(globToRegExp('*.{bam,bai}').test('x.cram')).toBe(false);
  });
});
