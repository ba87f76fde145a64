import { describe, expect, it } from 'vitest';
import { assertTransition, parseAppSessionStatus } from './appsession-status.js';
import { formatBaseSpaceDate } from './dates.js';
import { AppError } from './errors.js';
import { href, parseHref, parseId } from './ids.js';
import { validName } from './validation.js';

describe('ids and hrefs', () => {
  it.each(['1', '21646627', '9223372036854775807'])('accepts %s', (id) =>
    expect(parseId(id, 'Project')).toBe(id),
  );
  it.each(['0', '-1', 'error', '&*%$', '9223372036854775808', '01', '1.5', ' 1', ''])(
    '404s %j',
    (id) => expect(() => parseId(id, 'Project')).toThrow(/doesn't exist/),
  );
  it('reads hrefs with or without the version prefix', () => {
    expect(parseHref('v1pre3/samples/12')).toEqual({ kind: 'sample', id: '12' });
    expect(parseHref('projects/7')).toEqual({ kind: 'project', id: '7' });
    expect(parseHref('/v1pre3/genomes/4/')).toEqual({ kind: 'genome', id: '4' });
    expect(parseHref('somethinginvalid/1234')).toBeUndefined();
    expect(parseHref('v1pre3/samples')).toBeUndefined();
    expect(href('appsession', '3', 'appresults')).toBe('v1pre3/appsessions/3/appresults');
  });
});

describe('dates', () => {
  it('widens to the 7 fractional digits BaseSpace writes', () => {
    expect(formatBaseSpaceDate('2015-04-13T15:58:40.123Z')).toBe('2015-04-13T15:58:40.1230000Z');
    expect(formatBaseSpaceDate('2015-04-13T15:58:40Z')).toBe('2015-04-13T15:58:40.0000000Z');
  });
});

describe('AppSession status', () => {
  it('reads any case and writes PascalCase', () => {
    expect(parseAppSessionStatus('needsattention')).toBe('NeedsAttention');
    expect(parseAppSessionStatus('COMPLETE')).toBe('Complete');
    expect(() => parseAppSessionStatus('error')).toThrow(AppError);
  });
  it('Complete and Aborted are final', () => {
    expect(() => assertTransition('Running', 'Complete')).not.toThrow();
    expect(() => assertTransition('NeedsAttention', 'Running')).not.toThrow();
    expect(() => assertTransition('TimedOut', 'Aborted')).not.toThrow();
    expect(() => assertTransition('Complete', 'Running')).toThrow(/final/);
    expect(() => assertTransition('Aborted', 'Aborted')).toThrow(/final/);
  });
});

describe('names', () => {
  it('keeps any script, trims, and bounds length in characters', () => {
    expect(validName('  Échantillon 样本 🧬 ')).toBe('Échantillon 样本 🧬');
    expect(validName('🧬'.repeat(255))).toHaveLength(510);
    expect(() => validName('🧬'.repeat(256))).toThrow(/longer than 255/);
    expect(() => validName('a\tb')).toThrow(/control characters/);
    expect(() => validName('   ')).toThrow(/empty/);
    expect(() => validName(42)).toThrow(/string/);
  });
});
