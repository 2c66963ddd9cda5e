import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AllowEntryError,
  entryAllows,
  findAllowingEntry,
  parseAllowEntry,
  type AllowEntry,
} from '../../../src/admission/allow-list.js';
import { judgeImage } from '../../../src/admission/decision.js';
import { parseImageReference } from '../../../src/registry/reference.js';

const HEX = 'a'.repeat(64);

const ALLOW = [
  'registry.example.com',
  'registry.example.com:5000',
  'docker.io/library',
  'ghcr.io/acme/*',
  'quay.io/team/app',
  'localhost:5000',
  '[::1]:5000',
  '10.0.0.5:443',
  'main.registries.svc:5000',
].map((text) => parseAllowEntry(text));

// [image as written, admitted?, entry that admits it (when admitted) or the problem]
const table: Array<[string, boolean, string]> = [
  // Docker Hub defaults
  ['nginx', true, 'docker.io/library'],
  ['nginx:1.27', true, 'docker.io/library'],
  [`nginx@sha256:${HEX}`, true, 'docker.io/library'],
  [`nginx:1.27@sha256:${HEX}`, true, 'docker.io/library'],
  ['library/nginx', true, 'docker.io/library'],
  ['docker.io/nginx', true, 'docker.io/library'],
  ['docker.io/library/nginx', true, 'docker.io/library'],
  ['index.docker.io/library/nginx', true, 'docker.io/library'],
  ['index.docker.io/nginx:latest', true, 'docker.io/library'],
  ['DOCKER.IO/library/nginx', true, 'docker.io/library'],
  ['docker.io/library/nginx/extra', true, 'docker.io/library'],
  ['bitnami/nginx', false, 'is not from an allowed source'],
  ['docker.io/bitnami/nginx', false, 'is not from an allowed source'],
  ['library-evil/nginx', false, 'is not from an allowed source'],
  ['docker.io/library-evil/x', false, 'is not from an allowed source'],
  ['docker.io/librar/nginx', false, 'is not from an allowed source'],
  // One component after docker.io gets library/: this is docker.io/library/libraryx.
  ['docker.io/libraryx', true, 'docker.io/library'],
  ['evil/library/nginx', false, 'is not from an allowed source'],
  ['registry-1.docker.io/library/nginx', false, 'is not from an allowed source'],
  ['docker.io.evil.io/library/nginx', false, 'is not from an allowed source'],
  // host entries: exact host, port significant, case-insensitive
  ['registry.example.com/app', true, 'registry.example.com'],
  ['registry.example.com/app:v1', true, 'registry.example.com'],
  ['registry.example.com/team/app/sub:v1', true, 'registry.example.com'],
  [`registry.example.com/app@sha256:${HEX}`, true, 'registry.example.com'],
  ['Registry.Example.COM/app', true, 'registry.example.com'],
  ['REGISTRY.EXAMPLE.COM/app', true, 'registry.example.com'],
  ['registry.example.com:5000/app', true, 'registry.example.com:5000'],
  ['registry.example.com:5000/a/b/c:1', true, 'registry.example.com:5000'],
  ['registry.example.com:443/app', false, 'is not from an allowed source'],
  ['registry.example.com:5001/app', false, 'is not from an allowed source'],
  ['registry.example.com:50000/app', false, 'is not from an allowed source'],
  ['registry.example.com.evil.io/x', false, 'is not from an allowed source'],
  ['registry.example.com.evil.io:5000/x', false, 'is not from an allowed source'],
  ['evil.io/registry.example.com/x', false, 'is not from an allowed source'],
  ['evilregistry.example.com/x', false, 'is not from an allowed source'],
  ['sub.registry.example.com/x', false, 'is not from an allowed source'],
  ['registry.example.co/x', false, 'is not from an allowed source'],
  ['registry-example.com/x', false, 'is not from an allowed source'],
  ['registry.example.com/Upper', false, 'must be lowercase'],
  // Without a "/", distribution reads these as Docker Hub official names (the kubelet pulls
  // docker.io/library/registry.example.com), so it is docker.io/library that admits them.
  ['registry.example.com', true, 'docker.io/library'],
  ['registry.example.com:5000', true, 'docker.io/library'],
  // path entry with /*: strictly below ghcr.io/acme
  ['ghcr.io/acme/app', true, 'ghcr.io/acme/*'],
  ['ghcr.io/acme/app:v2', true, 'ghcr.io/acme/*'],
  ['ghcr.io/acme/team/app', true, 'ghcr.io/acme/*'],
  [`ghcr.io/acme/app@sha256:${HEX}`, true, 'ghcr.io/acme/*'],
  ['GHCR.io/acme/app', true, 'ghcr.io/acme/*'],
  ['ghcr.io/acme', false, 'is not from an allowed source'],
  ['ghcr.io/acme:v1', false, 'is not from an allowed source'],
  ['ghcr.io/acme-evil/app', false, 'is not from an allowed source'],
  ['ghcr.io/acmeinc/app', false, 'is not from an allowed source'],
  ['ghcr.io/evil/acme/app', false, 'is not from an allowed source'],
  ['ghcr.io.evil.io/acme/app', false, 'is not from an allowed source'],
  ['ghcr.io:443/acme/app', false, 'is not from an allowed source'],
  ['evil.io/ghcr.io/acme/app', false, 'is not from an allowed source'],
  ['ghcr.io/Acme/app', false, 'must be lowercase'],
  // path entry without /*: the repository itself and below
  ['quay.io/team/app', true, 'quay.io/team/app'],
  ['quay.io/team/app:1.0', true, 'quay.io/team/app'],
  ['quay.io/team/app/debug', true, 'quay.io/team/app'],
  ['quay.io/team/application', false, 'is not from an allowed source'],
  ['quay.io/team/app-evil', false, 'is not from an allowed source'],
  ['quay.io/team/app_', false, 'is not a valid image reference'],
  ['quay.io/team', false, 'is not from an allowed source'],
  ['quay.io/team/other', false, 'is not from an allowed source'],
  // localhost
  ['localhost:5000/app', true, 'localhost:5000'],
  ['LOCALHOST:5000/app', true, 'localhost:5000'],
  ['localhost/app', false, 'is not from an allowed source'],
  ['localhost:5001/app', false, 'is not from an allowed source'],
  ['localhost:5000', true, 'docker.io/library'],
  ['localhost.evil.io:5000/app', false, 'is not from an allowed source'],
  // IPv6 and IPv4
  ['[::1]:5000/app', true, '[::1]:5000'],
  ['[::1]:5000/app:v1', true, '[::1]:5000'],
  ['[::1]/app', false, 'is not from an allowed source'],
  ['[::1]:5001/app', false, 'is not from an allowed source'],
  ['[::2]:5000/app', false, 'is not from an allowed source'],
  ['[::1]:5000', false, 'is not a valid image reference'],
  ['::1:5000/app', false, 'is not a valid image reference'],
  ['10.0.0.5:443/app', true, '10.0.0.5:443'],
  ['10.0.0.5/app', false, 'is not from an allowed source'],
  ['10.0.0.50:443/app', false, 'is not from an allowed source'],
  // in-cluster Registry endpoint
  ['main.registries.svc:5000/team/app:v1', true, 'main.registries.svc:5000'],
  ['main.registries.svc/team/app', false, 'is not from an allowed source'],
  ['main.registries.svc.cluster.local:5000/team/app', false, 'is not from an allowed source'],
  // invalid references are denied with the parse error
  ['Nginx', false, 'repository name (library/Nginx) must be lowercase'],
  ['', false, 'is not a valid image reference'],
  ['https://registry.example.com/app', false, 'no URL scheme'],
  ['registry.example.com/app:', false, 'is not a valid image reference'],
  [`registry.example.com/app@sha256:${'a'.repeat(63)}`, false, 'invalid checksum digest length'],
  ['registry.example.com/app@md5:0123456789abcdef0123456789abcdef', false, 'unsupported digest algorithm'],
  [HEX, false, 'cannot specify 64-byte hexadecimal strings'],
  ['registry.example.com//app', false, 'empty component'],
  ['registry.example.com/app name', false, 'whitespace'],
];

describe('allow-list table', () => {
  it('has at least 80 cases', () => {
    expect(table.length).toBeGreaterThanOrEqual(80);
  });

  it.each(table)('%s → admitted=%s (%s)', (image, admitted, expected) => {
    const judgement = judgeImage(ALLOW, { fieldPath: 'spec.containers[0]', containerName: 'c', image });
    if (admitted) {
      expect(judgement.problem).toBeUndefined();
      expect(judgement.allowedBy).toBe(expected);
    } else {
      expect(judgement.allowedBy).toBeUndefined();
      expect(judgement.problem).toContain(expected);
    }
  });
});

describe('parseAllowEntry', () => {
  it.each([
    ['registry.example.com', { kind: 'host', host: 'registry.example.com' }],
    ['Registry.Example.com:5000', { kind: 'host', host: 'registry.example.com:5000' }],
    ['[::1]:5000', { kind: 'host', host: '[::1]:5000' }],
    ['localhost', { kind: 'host', host: 'localhost' }],
    ['index.docker.io', { kind: 'host', host: 'docker.io' }],
    ['ghcr.io/*', { kind: 'host', host: 'ghcr.io' }],
    ['docker.io/library', { kind: 'path', host: 'docker.io', path: 'library', strictlyBelow: false }],
    ['ghcr.io/acme/*', { kind: 'path', host: 'ghcr.io', path: 'acme', strictlyBelow: true }],
    ['index.docker.io/bitnami', { kind: 'path', host: 'docker.io', path: 'bitnami', strictlyBelow: false }],
    // Exact images ("golden images"): a tag or a digest makes the entry name one image.
    ['ghcr.io/acme/app:v1', { kind: 'image', host: 'ghcr.io', path: 'acme/app', tag: 'v1' }],
    ['docker.io/library/ubuntu:20.14', { kind: 'image', host: 'docker.io', path: 'library/ubuntu', tag: '20.14' }],
    [`ghcr.io/acme/app@sha256:${HEX}`, { kind: 'image', host: 'ghcr.io', path: 'acme/app', digest: `sha256:${HEX}` }],
  ])('%s', (text, expected) => {
    expect(parseAllowEntry(text)).toMatchObject(expected);
  });

  it.each([
    ['', 'is empty'],
    ['library/nginx', 'does not start with a registry host'],
    ['nginx', 'for Docker Hub write "docker.io/nginx"'],
    ['https://ghcr.io', 'URL scheme'],
    ['ghcr.io/acme/*:v1', 'uses "*" in an exact image'],
    ['ghcr.io/Acme/app:v1', 'is not a valid image reference'],
    [`ghcr.io/acme/app@sha256:${'a'.repeat(63)}`, 'is not a valid image reference'],
    ['ghcr.io/*/app', 'uses "*"'],
    ['ghcr.io/ac*', 'uses "*"'],
    ['*.example.com', 'invalid registry host'],
    ['ghcr.io/', 'ends with "/"'],
    ['ghcr.io//acme', 'empty path segment'],
    ['ghcr.io/Acme', 'uppercase path segment "Acme"'],
    ['ghcr.io/-acme', 'invalid path segment "-acme"'],
    ['bad_host.io', 'invalid registry host'],
    ['ghcr.io:port', 'invalid registry host'],
    ['ghcr.io /acme', 'whitespace'],
  ])('rejects %j', (text, message) => {
    expect(() => parseAllowEntry(text)).toThrow(AllowEntryError);
    expect(() => parseAllowEntry(text)).toThrow(message);
  });
});

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);
const hostArb = fc
  .tuple(fc.array(label, { minLength: 2, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .map(([labels, port]) => labels.join('.') + (port === undefined ? '' : `:${port}`));
const pathArb = fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));

describe('allow-list properties', () => {
  it('a host entry never admits an image from a different host', () => {
    fc.assert(
      fc.property(hostArb, hostArb, pathArb, (entryHost, imageHost, path) => {
        fc.pre(entryHost !== imageHost);
        const entry = parseAllowEntry(entryHost);
        expect(entryAllows(entry, parseImageReference(`${imageHost}/${path}`))).toBe(false);
      }),
    );
  });

  it('a host entry admits every path on its host, whatever the case of the host', () => {
    fc.assert(
      fc.property(hostArb, pathArb, fc.boolean(), (host, path, upper) => {
        const entry = parseAllowEntry(host);
        const written = upper ? host.toUpperCase() : host;
        expect(entryAllows(entry, parseImageReference(`${written}/${path}:v1`))).toBe(true);
      }),
    );
  });

  it('a path entry admits exactly the paths equal to it or below it at a "/"', () => {
    fc.assert(
      fc.property(hostArb, pathArb, pathArb, (host, entryPath, imagePath) => {
        const entry = parseAllowEntry(`${host}/${entryPath}`);
        const admitted = entryAllows(entry, parseImageReference(`${host}/${imagePath}`));
        expect(admitted).toBe(imagePath === entryPath || imagePath.startsWith(`${entryPath}/`));
      }),
    );
  });

  it('digest and tag forms are judged alike', () => {
    const entries: AllowEntry[] = ALLOW;
    fc.assert(
      fc.property(fc.constantFrom(...table.map(([image]) => image)), fc.stringMatching(/^[a-f0-9]{64}$/), (image, hex) => {
        let reference;
        try {
          reference = parseImageReference(image);
        } catch {
          return;
        }
        const byDigest = parseImageReference(`${reference.name}@sha256:${hex}`);
        const byTag = parseImageReference(`${reference.name}:v1`);
        expect(findAllowingEntry(entries, byDigest)).toBe(findAllowingEntry(entries, byTag));
      }),
    );
  });
});

describe('exact image entries', () => {
  const judge = (entry: string, image: string): boolean => entryAllows(parseAllowEntry(entry), parseImageReference(image));
  it('a tag entry admits that tag without a digest, and nothing else of the repository', () => {
    expect(judge('docker.io/library/ubuntu:20.14', 'ubuntu:20.14')).toBe(true);
    expect(judge('docker.io/library/ubuntu:20.14', 'docker.io/library/ubuntu:20.14')).toBe(true);
    expect(judge('docker.io/library/ubuntu:20.14', 'ubuntu:22.04')).toBe(false);
    expect(judge('docker.io/library/ubuntu:20.14', 'ubuntu')).toBe(false);
    expect(judge('docker.io/library/ubuntu:20.14', `ubuntu:20.14@sha256:${HEX}`)).toBe(false);
    expect(judge('docker.io/library/ubuntu:20.14', 'ubuntu-evil:20.14')).toBe(false);
  });
  it('a digest entry admits that digest, with or without a tag beside it', () => {
    expect(judge(`ghcr.io/acme/base@sha256:${HEX}`, `ghcr.io/acme/base@sha256:${HEX}`)).toBe(true);
    expect(judge(`ghcr.io/acme/base@sha256:${HEX}`, `ghcr.io/acme/base:v1@sha256:${HEX}`)).toBe(true);
    expect(judge(`ghcr.io/acme/base@sha256:${HEX}`, 'ghcr.io/acme/base:v1')).toBe(false);
    expect(judge(`ghcr.io/acme/base@sha256:${HEX}`, `ghcr.io/acme/other@sha256:${HEX}`)).toBe(false);
  });
});
