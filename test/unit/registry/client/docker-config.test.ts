import { describe, expect, it } from 'vitest';
import { InputValidationError } from '../../../../src/errors.js';
import { credentialsForRegistry, normalizeRegistryHost, parseDockerConfigJson } from '../../../../src/registry/client/docker-config.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('normalizeRegistryHost', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['https://registry-1.docker.io', 'docker.io'],
    ['http://localhost:5000/v2/', 'localhost:5000'],
    ['Registry.Example:443', 'registry.example:443'],
    ['https://[::1]:5000', '[::1]:5000'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeRegistryHost(input)).toBe(expected);
  });
});

describe('parseDockerConfigJson', () => {
  it('decodes the base64 auth field, with a colon in the password', () => {
    const config = parseDockerConfigJson(JSON.stringify({ auths: { 'r.example': { auth: b64('alice:pa:ss') } } }));
    expect(credentialsForRegistry(config, 'r.example')).toEqual({ username: 'alice', password: 'pa:ss' });
  });

  it('reads username/password fields and lets auth win over them (docker CLI precedence)', () => {
    const config = parseDockerConfigJson({
      auths: {
        'a.example': { username: 'u', password: 'p' },
        'b.example': { username: 'u', password: 'p', auth: b64('v:q') },
      },
    });
    expect(credentialsForRegistry(config, 'a.example')).toEqual({ username: 'u', password: 'p' });
    expect(credentialsForRegistry(config, 'b.example')).toEqual({ username: 'v', password: 'q' });
  });

  it('maps registrytoken to a bearer token and gives nothing for an identity token alone', () => {
    const config = parseDockerConfigJson({ auths: { 't.example': { registrytoken: 'tok' }, 'i.example': { identitytoken: 'refresh' } } });
    expect(credentialsForRegistry(config, 't.example')).toEqual({ token: 'tok' });
    expect(credentialsForRegistry(config, 'i.example')).toBeUndefined();
  });

  it('finds Docker Hub credentials stored under the CLI key for any Docker Hub name', () => {
    const config = parseDockerConfigJson({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:secret') } } });
    for (const name of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io']) {
      expect(credentialsForRegistry(config, name)).toEqual({ username: 'hub', password: 'secret' });
    }
  });

  it('matches registry URLs against host:port keys, and prefers an exact key', () => {
    const config = parseDockerConfigJson({
      auths: { 'https://r.example:5000': { auth: b64('first:1') }, 'r.example:5000': { auth: b64('exact:2') } },
    });
    expect(credentialsForRegistry(config, 'https://r.example:5000/')).toEqual({ username: 'first', password: '1' });
    expect(credentialsForRegistry(config, 'r.example:5000')).toEqual({ username: 'exact', password: '2' });
    expect(credentialsForRegistry(config, 'r.example')).toBeUndefined();
  });

  it('accepts bytes', () => {
    const config = parseDockerConfigJson(Buffer.from(JSON.stringify({ auths: { h: { auth: b64('a:b') } } })));
    expect(credentialsForRegistry(config, 'h')).toEqual({ username: 'a', password: 'b' });
  });

  it('names the offending field', () => {
    const bad = (input: unknown): InputValidationError => {
      try {
        parseDockerConfigJson(input);
      } catch (error) {
        if (error instanceof InputValidationError) return error;
      }
      throw new Error('expected InputValidationError');
    };
    expect(bad({ auths: { 'r.example': { auth: b64('nocolon') } } }).issues).toEqual([
      { path: 'auths["r.example"].auth', message: 'must be base64 of "username:password"' },
    ]);
    expect(bad({ auths: { 'r.example': { auth: '%%%' } } }).issues[0]?.path).toBe('auths["r.example"].auth');
    expect(bad({}).issues[0]?.path).toBe('auths');
    expect(bad({ auths: { x: { username: 5 } } }).issues[0]?.path).toBe('auths.x.username');
    expect(bad('{not json').message).toMatch(/not valid JSON/);
  });
});
