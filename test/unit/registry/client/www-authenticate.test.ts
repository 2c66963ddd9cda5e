import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, scopeForRequest } from '../../../../src/registry/client/auth.js';

describe('parseWwwAuthenticate', () => {
  it('parses distribution token challenge with quoted values', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app/web:pull"'),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:app/web:pull' } },
    ]);
  });

  it('keeps commas inside quoted values', () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm="https://a/t",scope="repository:app:pull,push",error="insufficient_scope"');
    expect(challenge?.params).toEqual({ realm: 'https://a/t', scope: 'repository:app:pull,push', error: 'insufficient_scope' });
  });

  it('unescapes backslash-escaped quotes', () => {
    const [challenge] = parseWwwAuthenticate('Basic realm="say \\"hi\\", ok"');
    expect(challenge).toEqual({ scheme: 'basic', params: { realm: 'say "hi", ok' } });
  });

  it('tolerates spaces around = and after commas, and lower-cases scheme and names', () => {
    const [challenge] = parseWwwAuthenticate('BEARER Realm = "https://a/t" ,  Service=reg.example');
    expect(challenge).toEqual({ scheme: 'bearer', params: { realm: 'https://a/t', service: 'reg.example' } });
  });

  it('splits several challenges in one header', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="https://a/t",service="s"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://a/t', service: 's' } },
    ]);
  });

  it('parses a scheme without parameters', () => {
    expect(parseWwwAuthenticate('Negotiate')).toEqual([{ scheme: 'negotiate', params: {} }]);
  });

  it('keeps a space-separated scope list whole', () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm="r",scope="repository:a:pull repository:b:pull"');
    expect(challenge?.params.scope).toBe('repository:a:pull repository:b:pull');
  });

  it('does not hang on malformed input', () => {
    expect(parseWwwAuthenticate('Bearer realm="unterminated')).toEqual([{ scheme: 'bearer', params: { realm: 'unterminated' } }]);
    expect(parseWwwAuthenticate(',,,"  =')).toEqual([]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});

describe('scopeForRequest', () => {
  it('asks for what distribution checks per method', () => {
    expect(scopeForRequest('GET', 'app/web')).toBe('repository:app/web:pull');
    expect(scopeForRequest('HEAD', 'app/web')).toBe('repository:app/web:pull');
    expect(scopeForRequest('DELETE', 'app/web')).toBe('repository:app/web:delete');
    expect(scopeForRequest('GET', null)).toBe('registry:catalog:*');
  });
});
