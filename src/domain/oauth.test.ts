import { describe, expect, it } from 'vitest';
import { describeScope, redirectUriMatches, validRedirectUri } from './oauth.js';

describe('redirect URIs (spec 1.3.1)', () => {
  const registered = ['https://app.example/cb', 'http://localhost:8080/cb'];
  it('match exactly, except scheme and port on localhost', () => {
    expect(redirectUriMatches(registered, 'https://app.example/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'https://app.example/cb/')).toBe(false);
    expect(redirectUriMatches(registered, 'https://app.example:444/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'http://app.example/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'https://app.example/cb?x=1')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost:1234/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'https://localhost/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'http://localhost:1234/other')).toBe(false);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:1234/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'http://localhost.evil.example/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'not a url')).toBe(false);
  });
  it('registrable ones are absolute http(s) without fragment', () => {
    expect(validRedirectUri('https://a.example/cb')).toBe(true);
    expect(validRedirectUri('http://localhost:1/cb')).toBe(true);
    expect(validRedirectUri('https://a.example/cb#x')).toBe(false);
    expect(validRedirectUri('javascript:alert(1)')).toBe(false);
    expect(validRedirectUri('/relative')).toBe(false);
  });
});

describe('scopes in words (consent pages)', () => {
  it('says one line per clause', () => {
    expect(describeScope('')).toEqual(['see your name and email address']);
    expect(describeScope('write project 7, create projects, browse run 3, audit user')).toEqual([
      'see, download, create and change project 7',
      'create new projects',
      'see the names and details (no file contents) of run 3',
      'read the user history feed',
    ]);
  });
});
