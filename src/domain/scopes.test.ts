import { describe, expect, it } from 'vitest';
import { canCreateProjects, formatScope, parseScope, scopeGrants, scopedIds } from './scopes.js';

describe('BaseSpace scope grammar', () => {
  it('parses the clauses the SDKs send', () => {
    expect(parseScope('browse global, read project 12')).toEqual([
      { access: 'browse', target: 'global' },
      { access: 'read', target: 'project', id: '12' },
    ]);
    expect(parseScope('')).toEqual([]);
    expect(parseScope('  CREATE Global ,write project 596596')).toEqual([
      { access: 'create', target: 'global' },
      { access: 'write', target: 'project', id: '596596' },
    ]);
    expect(
      formatScope(parseScope('read run 7,write sample 3, write appresult 9, audit user')),
    ).toBe('read run 7, write sample 3, write appresult 9, audit user');
    expect(parseScope('create projects')).toEqual([{ access: 'create', target: 'projects' }]);
    expect(parseScope('create project')).toEqual([{ access: 'create', target: 'projects' }]);
  });

  it.each([
    'fly global',
    'read',
    'read project',
    'read project abc',
    'read project 0',
    'browse global 12',
    'read galaxy 1',
    'write projects',
  ])('rejects %j', (text) => expect(() => parseScope(text)).toThrow(/Invalid scope clause/));

  it('write implies create, read and browse; read implies browse; create implies nothing else', () => {
    const subject = { type: 'project' as const, id: '5' };
    const grants = (scope: string, need: 'browse' | 'read' | 'create' | 'write') =>
      scopeGrants(parseScope(scope), need, subject);
    expect(
      ['browse', 'read', 'create', 'write'].map((n) => grants('write project 5', n as 'write')),
    ).toEqual([true, true, true, true]);
    expect(
      ['browse', 'read', 'create', 'write'].map((n) => grants('read project 5', n as 'write')),
    ).toEqual([true, true, false, false]);
    expect(
      ['browse', 'read', 'create', 'write'].map((n) => grants('create project 5', n as 'write')),
    ).toEqual([false, false, true, false]);
    expect(grants('browse project 6', 'browse')).toBe(false);
    expect(grants('', 'browse')).toBe(false);
  });

  it('samples and app results inherit their project grant', () => {
    const scope = parseScope('read project 5, write sample 9');
    expect(scopeGrants(scope, 'read', { type: 'sample', id: '1', projectId: '5' })).toBe(true);
    expect(scopeGrants(scope, 'read', { type: 'appresult', id: '1', projectId: '6' })).toBe(false);
    expect(scopeGrants(scope, 'write', { type: 'sample', id: '9', projectId: '6' })).toBe(true);
    expect(scopeGrants(scope, 'write', { type: 'sample', id: '1', projectId: '5' })).toBe(false);
  });

  it('lists the ids a scope names, and who may create projects', () => {
    expect(
      scopedIds(
        parseScope('browse project 1, read project 2, create project 3, read run 4'),
        'browse',
        'project',
      ),
    ).toEqual(['1', '2']);
    expect(canCreateProjects(parseScope('create projects'))).toBe(true);
    expect(canCreateProjects(parseScope('create global'))).toBe(true);
    expect(canCreateProjects(parseScope('write global'))).toBe(true);
    expect(canCreateProjects(parseScope('browse global, write project 3'))).toBe(false);
  });
});
