import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InvalidImageReferenceError,
  normalizeImageReference,
  parseImageReference,
} from '../../../src/registry/reference.js';

const HEX64 = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const D = `sha256:${HEX64}`;

interface ValidCase {
  input: string;
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
  familiar?: string;
}

// Behaviours of distribution's ParseNormalizedNamed / FamiliarName (normalize_test.go, reference_test.go).
const valid: ValidCase[] = [
  { input: 'nginx', domain: 'docker.io', path: 'library/nginx', familiar: 'nginx' },
  { input: 'nginx:1.27', domain: 'docker.io', path: 'library/nginx', tag: '1.27', familiar: 'nginx:1.27' },
  { input: 'nginx:latest', domain: 'docker.io', path: 'library/nginx', tag: 'latest' },
  { input: `nginx@${D}`, domain: 'docker.io', path: 'library/nginx', digest: D, familiar: `nginx@${D}` },
  { input: `busybox:latest@${D}`, domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: D, familiar: `busybox:latest@${D}` },
  { input: 'library/ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiar: 'ubuntu' },
  { input: 'docker.io/ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiar: 'ubuntu' },
  { input: 'docker.io/library/ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiar: 'ubuntu' },
  { input: 'index.docker.io/ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiar: 'ubuntu' },
  { input: 'index.docker.io/library/debian', domain: 'docker.io', path: 'library/debian' },
  { input: 'index.docker.io/fooo/bar', domain: 'docker.io', path: 'fooo/bar', familiar: 'fooo/bar' },
  { input: 'fooo/bar', domain: 'docker.io', path: 'fooo/bar', familiar: 'fooo/bar' },
  { input: 'other/library', domain: 'docker.io', path: 'other/library', familiar: 'other/library' },
  { input: 'library/foo/bar', domain: 'docker.io', path: 'library/foo/bar', familiar: 'library/foo/bar' },
  { input: 'docker.io/library/foo/bar', domain: 'docker.io', path: 'library/foo/bar', familiar: 'library/foo/bar' },
  { input: 'store/foo/bar', domain: 'docker.io', path: 'store/foo/bar' },
  { input: 'ubuntu-12.04-base', domain: 'docker.io', path: 'library/ubuntu-12.04-base', familiar: 'ubuntu-12.04-base' },
  { input: 'test_com/foo', domain: 'docker.io', path: 'test_com/foo' },
  { input: 'docker/migrator', domain: 'docker.io', path: 'docker/migrator' },
  { input: 'test.com/foo', domain: 'test.com', path: 'foo', familiar: 'test.com/foo' },
  { input: 'test.com:8080/foo', domain: 'test.com:8080', path: 'foo' },
  { input: 'test-com:8080/foo', domain: 'test-com:8080', path: 'foo' },
  { input: 'test:5000/repo:tag', domain: 'test:5000', path: 'repo', tag: 'tag' },
  { input: `test:5000/repo:tag@${D}`, domain: 'test:5000', path: 'repo', tag: 'tag', digest: D },
  { input: 'xn--n3h.com/myimage:xn--n3h.com', domain: 'xn--n3h.com', path: 'myimage', tag: 'xn--n3h.com' },
  { input: 'xn--n3h.com:18080/foo', domain: 'xn--n3h.com:18080', path: 'foo' },
  { input: 'b.gcr.io/test.example.com/my-app:test.example.com', domain: 'b.gcr.io', path: 'test.example.com/my-app', tag: 'test.example.com' },
  { input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', domain: 'sub-dom1.foo.com', path: 'bar/baz/quux', tag: 'some-long-tag' },
  { input: '127.0.0.1:5000/docker/docker', domain: '127.0.0.1:5000', path: 'docker/docker' },
  { input: '127.0.0.1:5000/debian', domain: '127.0.0.1:5000', path: 'debian', familiar: '127.0.0.1:5000/debian' },
  { input: '192.168.1.1/repo', domain: '192.168.1.1', path: 'repo' },
  { input: '192.168.1.1:5000/repo:5050', domain: '192.168.1.1:5000', path: 'repo', tag: '5050' },
  // No slash: a Docker Hub official name, even when it looks like host:port (distribution's FIXME).
  { input: '192.168.0.1', domain: 'docker.io', path: 'library/192.168.0.1' },
  { input: '192.168.0.1:80', domain: 'docker.io', path: 'library/192.168.0.1', tag: '80' },
  { input: 'test.com:5000', domain: 'docker.io', path: 'library/test.com', tag: '5000' },
  { input: 'localhost', domain: 'docker.io', path: 'library/localhost' },
  { input: 'localhost:5000', domain: 'docker.io', path: 'library/localhost', tag: '5000' },
  { input: 'localhost/app', domain: 'localhost', path: 'app', familiar: 'localhost/app' },
  { input: 'localhost:5000/app:v1', domain: 'localhost:5000', path: 'app', tag: 'v1' },
  { input: 'myhost:5000/app', domain: 'myhost:5000', path: 'app' },
  { input: 'myhost/app', domain: 'docker.io', path: 'myhost/app' },
  { input: '[::1]:5000/repo', domain: '[::1]:5000', path: 'repo' },
  { input: '[2001:db8::1]/repo', domain: '[2001:db8::1]', path: 'repo' },
  { input: `[2001:db8::1]:5000/repo:tag@${D}`, domain: '[2001:db8::1]:5000', path: 'repo', tag: 'tag', digest: D },
  { input: '[fc00:1:2:3:4:5:6:7]:5000/library/debian', domain: '[fc00:1:2:3:4:5:6:7]:5000', path: 'library/debian' },
  // An uppercase first component cannot be a path, so distribution takes it for a host.
  { input: 'Docker/docker', domain: 'Docker', path: 'docker', familiar: 'Docker/docker' },
  { input: 'FOO/bar', domain: 'FOO', path: 'bar' },
  { input: 'Registry.Example.com/app', domain: 'Registry.Example.com', path: 'app' },
  { input: 'lowercase:Uppercase', domain: 'docker.io', path: 'library/lowercase', tag: 'Uppercase' },
  { input: 'docker---rules/docker', domain: 'docker.io', path: 'docker---rules/docker' },
  { input: 'dock__er/docker', domain: 'docker.io', path: 'dock__er/docker' },
  { input: 'd/docker', domain: 'docker.io', path: 'd/docker' },
  { input: 'jess/t', domain: 'docker.io', path: 'jess/t' },
  { input: 'a.b-c/e__f', domain: 'a.b-c', path: 'e__f' },
  { input: 'foo_bar.com:8080', domain: 'docker.io', path: 'library/foo_bar.com', tag: '8080' },
  { input: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', domain: 'docker.io', path: 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev' },
  { input: `docker.io/${'1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'}`, domain: 'docker.io', path: 'library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a' },
  { input: `${HEX64.slice(0, 63)}`, domain: 'docker.io', path: `library/${HEX64.slice(0, 63)}` },
  { input: 'ghcr.io/acme/team/app:v1.2.3_rc-1', domain: 'ghcr.io', path: 'acme/team/app', tag: 'v1.2.3_rc-1' },
  { input: `app:${'t'.repeat(128)}`, domain: 'docker.io', path: 'library/app', tag: 't'.repeat(128) },
  { input: `x.io/app@sha512:${'f'.repeat(128)}`, domain: 'x.io', path: 'app', digest: `sha512:${'f'.repeat(128)}` },
  { input: `x.io/app@sha384:${'a'.repeat(96)}`, domain: 'x.io', path: 'app', digest: `sha384:${'a'.repeat(96)}` },
  { input: 'registry.k8s.io/pause:3.10', domain: 'registry.k8s.io', path: 'pause', tag: '3.10' },
  { input: `x.io/${'a/'.repeat(124)}a`, domain: 'x.io', path: `${'a/'.repeat(124)}a` },
];

interface InvalidCase {
  input: string;
  message: string | RegExp;
}

const invalid: InvalidCase[] = [
  { input: '', message: 'repository name must have at least one component' },
  { input: HEX64, message: 'cannot specify 64-byte hexadecimal strings' },
  { input: 'Nginx', message: 'invalid reference format: repository name (library/Nginx) must be lowercase' },
  { input: 'Uppercase:tag', message: 'must be lowercase' },
  { input: 'docker/Docker', message: 'repository name (docker/Docker) must be lowercase' },
  { input: 'docker.io/docker/Docker', message: 'must be lowercase' },
  { input: 'test:5000/Uppercase/lowercase:tag', message: 'must be lowercase' },
  { input: 'ghcr.io/Acme/app', message: 'must be lowercase' },
  { input: ':justtag', message: /^invalid reference format/ },
  { input: `@${D}`, message: /^invalid reference format/ },
  { input: 'https://github.com/docker/docker', message: 'invalid reference format: a reference has no URL scheme' },
  { input: '-docker', message: /invalid reference format: path component \(-docker\)/ },
  { input: '-docker/docker', message: /^invalid reference format/ },
  { input: 'docker-/docker', message: /^invalid reference format/ },
  { input: '-docker.io/docker/docker', message: /registry host \(-docker.io\)/ },
  { input: 'docker///docker', message: /empty component/ },
  { input: 'docker/', message: /empty component/ },
  { input: 'x.io//app', message: /empty component/ },
  { input: '____/____', message: /^invalid reference format/ },
  { input: '_docker/_docker', message: /^invalid reference format/ },
  { input: 'dock..er/docker', message: /^invalid reference format/ },
  { input: 'dock_.er/docker', message: /^invalid reference format/ },
  { input: 'dock-.er/docker', message: /^invalid reference format/ },
  { input: 'aa/asdf$$^/aa', message: /^invalid reference format/ },
  { input: '[fc00::1]', message: /^invalid reference format/ },
  { input: '[fc00::1]:5000', message: /^invalid reference format/ },
  { input: 'fc00::1:5000/debian', message: /^invalid reference format/ },
  { input: '[fe80::1%eth0]:5000/debian', message: /^invalid reference format/ },
  { input: '[2001:db8:3:4::192.0.2.33]:5000/debian', message: /^invalid reference format/ },
  { input: 'nginx:', message: /^invalid reference format/ },
  { input: 'nginx:-tag', message: /tag \(-tag\)/ },
  { input: 'nginx:.tag', message: /tag \(.tag\)/ },
  { input: `nginx:${'t'.repeat(129)}`, message: /tag \(t+\) must be 1 to 128/ },
  { input: 'nginx:a b', message: 'invalid reference format: a reference cannot contain whitespace' },
  { input: ' nginx', message: /whitespace/ },
  { input: 'repo@sha256:ffffffffffffffffffffffffffffffffff', message: 'invalid checksum digest length' },
  { input: `validname@invaliddigest:${'f'.repeat(64)}`, message: 'unsupported digest algorithm' },
  { input: `x.io/app@sha256:${'F'.repeat(64)}`, message: 'invalid checksum digest format' },
  { input: `x.io/app@sha256:${'f'.repeat(65)}`, message: 'invalid checksum digest length' },
  { input: 'x.io/app@sha256:abc', message: /digest \(sha256:abc\) must be algorithm:hex/ },
  { input: 'x.io/app@', message: /^invalid reference format/ },
  { input: 'x.io/app:v1:v2', message: /^invalid reference format/ },
  { input: 'x.io:port/app', message: /registry host \(x.io:port\)/ },
  { input: `x.io/${'a/'.repeat(125)}a`, message: 'repository name must not be more than 255 characters' },
  { input: `${'a/'.repeat(128)}a:tag`, message: 'repository name must not be more than 255 characters' },
  {
    input:
      'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker',
    message: 'must not be more than 255 characters',
  },
  { input: 'foo_bar.com/app', message: 'invalid reference format: registry host (foo_bar.com) is not a valid host[:port]' },
  { input: 'nginx\u00e9', message: /^invalid reference format/ },
];

describe('parseImageReference: valid references', () => {
  it.each(valid)('$input', (c) => {
    const ref = parseImageReference(c.input);
    expect({ domain: ref.domain, path: ref.path, tag: ref.tag, digest: ref.digest }).toEqual({
      domain: c.domain,
      path: c.path,
      tag: c.tag,
      digest: c.digest,
    });
    expect(ref.name).toBe(`${c.domain}/${c.path}`);
    const suffix = (c.tag ? `:${c.tag}` : '') + (c.digest ? `@${c.digest}` : '');
    expect(ref.toString()).toBe(`${c.domain}/${c.path}${suffix}`);
    if (c.familiar !== undefined) expect(ref.familiarString).toBe(c.familiar);
  });
});

describe('parseImageReference: invalid references', () => {
  it.each(invalid)('$input', (c) => {
    let thrown: unknown;
    try {
      parseImageReference(c.input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidImageReferenceError);
    const error = thrown as InvalidImageReferenceError;
    expect(error.code).toBe('DM_ERR_INVALID_REFERENCE');
    expect(error.reference).toBe(c.input);
    if (typeof c.message === 'string') expect(error.message).toContain(c.message);
    else expect(error.message).toMatch(c.message);
  });
});

describe('familiar names', () => {
  it.each([
    ['docker.io/library/redis', 'redis'],
    ['docker.io/dmcgowan/myapp', 'dmcgowan/myapp'],
    ['example.com:8000/private/moonbase', 'example.com:8000/private/moonbase'],
    ['docker.io/library/foo/bar', 'library/foo/bar'],
  ])('%s → %s', (input, familiar) => {
    expect(parseImageReference(input).familiarName).toBe(familiar);
  });
});

// Generators of valid references, built from the grammar.
const alnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const component = fc
  .tuple(alnum, fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), alnum), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join(''));
const host = fc.oneof(
  fc.constantFrom('docker.io', 'index.docker.io', 'ghcr.io', 'localhost', 'localhost:5000', '[::1]:5000', '10.0.0.1:443'),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,5}[a-z0-9]$/), fc.constantFrom('.com', '.io', ':5000', '.example.com:8443')).map(([a, b]) => a + b),
);
const referenceArb = fc
  .record({
    host: fc.option(host, { nil: undefined }),
    // Without a host, a first component holding "." would itself be read as a host.
    first: alnum,
    path: fc.array(component, { maxLength: 2 }),
    tag: fc.option(fc.stringMatching(/^\w[\w.-]{0,10}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`), { nil: undefined }),
  })
  .map((r) => (r.host ? `${r.host}/` : '') + [r.first, ...r.path].join('/') + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : ''))
  .filter((s) => !/^[a-f0-9]{64}$/.test(s));

describe('normalization properties', () => {
  it('normalize is idempotent', () => {
    fc.assert(
      fc.property(referenceArb, (s) => {
        const once = normalizeImageReference(s);
        expect(normalizeImageReference(once)).toBe(once);
      }),
    );
  });

  it('the familiar string normalizes back to the same reference', () => {
    fc.assert(
      fc.property(referenceArb, (s) => {
        const ref = parseImageReference(s);
        expect(normalizeImageReference(ref.familiarString)).toBe(ref.toString());
      }),
    );
  });

  it('never throws anything but InvalidImageReferenceError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          parseImageReference(s);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidImageReferenceError);
        }
      }),
    );
  });

  it('parses a long hostile input quickly (no catastrophic backtracking)', () => {
    const started = Date.now();
    for (const s of [`${'a-'.repeat(5000)}!`, `x.io/${'a.'.repeat(5000)}`, `${'a.'.repeat(5000)}/b!`, `x.io/${'a__'.repeat(3000)}_`]) {
      expect(() => parseImageReference(s)).toThrow(InvalidImageReferenceError);
    }
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
