import { describe, expect, it } from 'vitest';
import { checkPropertyName, parseProperty, parsePropertyList } from './properties.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('property names (spec 5.2)', () => {
  it.each([
    'a.b',
    'mytestapp.metrics.magicnumber',
    'Input.sample-id',
    'Output.AppResults',
    '1x.y_z',
  ])('accepts %s', (n) => expect(checkPropertyName(n)).toBe(n));
  it.each([
    ['', 'BASESPACE.PROPERTIES.NAME_LENGTH'],
    ['a', 'BASESPACE.PROPERTIES.NAME_LENGTH'],
    [`a.${'b'.repeat(65)}`, 'BASESPACE.PROPERTIES.NAME_LENGTH'],
    ['nodots', 'BASESPACE.PROPERTIES.NAME_INVALID'],
    ['.lead.dot', 'BASESPACE.PROPERTIES.NAME_INVALID'],
    ['-x.y', 'BASESPACE.PROPERTIES.NAME_INVALID'],
    ['a..b', 'BASESPACE.PROPERTIES.NAME_INVALID'],
    ['a.b c', 'BASESPACE.PROPERTIES.NAME_INVALID'],
    ['a.b$', 'BASESPACE.PROPERTIES.NAME_INVALID'],
  ])('refuses %j with %s', (n, c) => expect(code(() => checkPropertyName(n))).toBe(c));
});

describe('property values (spec 5.3)', () => {
  it('reads every type, any Type case, Content/Items/ContentMap/ItemsMap in any key case', () => {
    expect(
      parseProperty({ Type: 'String', Name: 'a.b', Description: 'd', Content: 42 }).value,
    ).toEqual({ type: 'string', content: '42' });
    expect(parseProperty({ type: 'string[]', name: 'a.b', items: ['x', 'x'] }).value).toEqual({
      type: 'string[]',
      items: ['x', 'x'],
    });
    expect(
      parseProperty({ Type: 'project', Name: 'a.b', Content: 'v1pre3/projects/123' }).value,
    ).toEqual({
      type: 'project',
      content: { kind: 'project', id: '123' },
    });
    expect(
      parseProperty({
        Type: 'appresult[]',
        Name: 'a.b',
        Items: ['appresults/3006', 'appresults/3005', 'v1pre3/appresults/3006'],
      }).value,
    ).toEqual({
      type: 'appresult[]',
      items: [
        { kind: 'appresult', id: '3006' },
        { kind: 'appresult', id: '3005' },
      ],
    });
    expect(
      parseProperty({
        Type: 'map',
        Name: 'my.chart',
        ContentMap: [{ Key: 'label.x-axis', Values: ['energydrinks'] }],
      }).value,
    ).toEqual({
      type: 'map',
      content: [{ key: 'label.x-axis', values: ['energydrinks'] }],
    });
    expect(
      parseProperty({
        Type: 'map[]',
        Name: 'my.maps',
        items: [[{ Key: 'a1', Values: ['r1', 'r1a'] }], [{ Key: 'b1', Values: ['b1a'] }]],
      }).value,
    ).toEqual({
      type: 'map[]',
      items: [[{ key: 'a1', values: ['r1', 'r1a'] }], [{ key: 'b1', values: ['b1a'] }]],
    });
    expect(parseProperty({ Type: 'project[]', Name: 'a.b', Items: [] }).value).toEqual({
      type: 'project[]',
      items: [],
    });
  });

  it.each([
    [{ Name: 'a.b', Items: [] }, 'BASESPACE.PROPERTIES.TYPE_INVALID'],
    [{ Type: 'integer', Name: 'a.b', Content: '1' }, 'BASESPACE.PROPERTIES.TYPE_INVALID'],
    [
      { Type: 'project', Name: 'a.b', Content: 'somethinginvalid/1234' },
      'BASESPACE.PROPERTIES.CONTENT_REFERENCE_INVALID',
    ],
    [
      { Type: 'sample', Name: 'a.b', Content: 'v1pre3/projects/1' },
      'BASESPACE.PROPERTIES.CONTENT_REFERENCE_INVALID',
    ],
    [
      { Type: 'map', Name: 'a.b', ContentMap: [{ Key: '', Values: [] }] },
      'BASESPACE.PROPERTIES.CONTENT_MAP_KEY_INVALID',
    ],
    [
      { Type: 'map', Name: 'a.b', ContentMap: [{ Key: 'a$', Values: [] }] },
      'BASESPACE.PROPERTIES.CONTENT_MAP_KEY_INVALID',
    ],
    [
      { Type: 'map', Name: 'a.b', ContentMap: [{ Key: 'k'.repeat(65), Values: [] }] },
      'BASESPACE.PROPERTIES.CONTENT_MAP_KEY_INVALID',
    ],
    [
      {
        Type: 'map',
        Name: 'a.b',
        ContentMap: [
          { Key: 'k', Values: [] },
          { Key: 'k', Values: [] },
        ],
      },
      'BASESPACE.PROPERTIES.CONTENT_MAP_DUPES',
    ],
    [
      { Type: 'string', Name: 'a.b', Content: 'x'.repeat(64 * 1024 + 1) },
      'BASESPACE.PROPERTIES.CONTENT_LENGTH',
    ],
    [
      { Type: 'string[]', Name: 'a.b', Items: Array(10_001).fill('x') },
      'BASESPACE.PROPERTIES.ITEMS_LIMIT',
    ],
    [
      { Type: 'string', Name: 'a.b', Content: { nested: true } },
      'BASESPACE.PROPERTIES.CONTENT_INVALID',
    ],
  ])('refuses %j', (raw, c) => expect(code(() => parseProperty(raw))).toBe(c));

  it('a POST body: duplicate names refused; content kept verbatim', () => {
    expect(
      code(() =>
        parsePropertyList({
          Properties: [
            { Type: 'string', Name: 'a.b', Content: '1' },
            { Type: 'string', Name: 'a.b', Content: '2' },
          ],
        }),
      ),
    ).toBe('BASESPACE.PROPERTIES.DUPLICATE_NAMES');
    const weird = 'line1\nline2\t~!@#$%^&*()_+<>?{"json": true}<xml/>';
    expect(
      parsePropertyList({ properties: [{ type: 'string', name: 'a.b', content: weird }] })[0]!
        .value,
    ).toEqual({ type: 'string', content: weird });
    expect(
      parsePropertyList({
        Properties: Array.from({ length: 65 }, (_, i) => ({
          Type: 'string',
          Name: `p.n${i}`,
          Content: '',
        })),
      }),
    ).toHaveLength(65);
    expect(code(() => parsePropertyList({ nope: [] }))).toBe('BadRequest');
  });
});
