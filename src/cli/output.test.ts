import { describe, expect, it } from 'vitest';
import { cell, csvQuote, emit, fieldOf, outputOptionsOf } from './output.js';

const capture = () => {
  const lines: string[] = [];
  return { rt: { out: (l: string) => lines.push(l) }, lines };
};

const records = [
  { id: '1', name: 'plain', size: 10, owner: { name: 'Ada' } },
  { id: '2', name: 'a, "b"\nc', size: 2, owner: { name: 'Grace' } },
];

describe('output', () => {
  it('csv is RFC 4180: header, CRLF, quoted when needed, quotes doubled', () => {
    const { rt, lines } = capture();
    emit(rt, records, outputOptionsOf({ format: 'csv' }), ['id', 'name', 'owner.name']);
    expect(`${lines.join('\n')}\n`).toBe(
      'id,name,owner.name\r\n1,plain,Ada\r\n2,"a, ""b""\nc",Grace\r\n',
    );
    expect(csvQuote('x\ry')).toBe('"x\ry"');
  });

  it('table: a boxed table; json: full objects (array for a list, one object for a get)', () => {
    const t = capture();
    emit(t.rt, records, outputOptionsOf({}), ['id', 'size']);
    expect(t.lines).toEqual([
      '+----+------+',
      '| id | size |',
      '+----+------+',
      '| 1  | 10   |',
      '| 2  | 2    |',
      '+----+------+',
    ]);
    const j = capture();
    emit(j.rt, records[0]!, outputOptionsOf({ format: 'json' }), ['id']);
    expect(JSON.parse(j.lines.join('\n'))).toEqual(records[0]);
    const l = capture();
    emit(l.rt, records, outputOptionsOf({ format: 'json', field: ['ID', 'owner.Name'] }), []);
    expect(JSON.parse(l.lines.join('\n'))).toEqual([
      { ID: '1', 'owner.Name': 'Ada' },
      { ID: '2', 'owner.Name': 'Grace' },
    ]);
  });

  it('terse prints ids only; fields are case-insensitive and dotted; bad fields are refused', () => {
    const t = capture();
    emit(t.rt, records, outputOptionsOf({ format: 'json', terse: true }), ['name']);
    expect(t.lines).toEqual(['1', '2']);
    expect(fieldOf(records[1], 'OWNER.name')).toBe('Grace');
    expect(cell({ a: 1 })).toBe('{"a":1}');
    expect(cell(undefined)).toBe('');
    expect(() => outputOptionsOf({ field: ['a b'] })).toThrow(/-F takes a field name/);
    expect(() => emit(capture().rt, records, outputOptionsOf({ field: ['nope'] }), [])).toThrow(
      /no field 'nope'/,
    );
  });
});
