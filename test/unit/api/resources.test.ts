import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { InputValidationError } from '../../../src/errors.js';
import { API_GROUP_VERSION } from '../../../src/api/common.js';
import { parseRegistry, type RegistrySpecInput } from '../../../src/api/registry.js';
import { parseRetentionPolicy } from '../../../src/api/retention-policy.js';
import { INVALID_RESOURCES } from './invalid-resources.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));

function exampleDocuments(): Array<{ file: string; doc: Record<string, unknown> }> {
  return readdirSync(examplesDir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(examplesDir, file), 'utf8')).map((d) => ({ file, doc: d.toJS() as Record<string, unknown> })),
    );
}

function parseResource(doc: Record<string, unknown>): unknown {
  return doc.kind === 'Registry' ? parseRegistry(doc) : parseRetentionPolicy(doc);
}

describe('examples/', () => {
  const documents = exampleDocuments();

  it('holds both kinds and the Secrets and namespace they need, all in namespace registries', () => {
    const kinds = documents.map(({ doc }) => doc.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'Registry', 'RetentionPolicy', 'Secret']));
    for (const { doc } of documents.filter(({ doc }) => doc.kind !== 'Namespace')) {
      expect((doc.metadata as { namespace?: string }).namespace).toBe('registries');
    }
  });

  it.each(documents.filter(({ doc }) => doc.apiVersion === API_GROUP_VERSION).map(({ file, doc }) => [`${file} ${String(doc.kind)}`, doc]))(
    '%s parses with the schema',
    (_label, doc) => {
      expect(() => parseResource(doc as Record<string, unknown>)).not.toThrow();
    },
  );

  it('every Secret an example refers to is also an example', () => {
    const secrets = new Set(documents.filter(({ doc }) => doc.kind === 'Secret').map(({ doc }) => (doc.metadata as { name: string }).name));
    expect(secrets).toContain('main-users');
    expect(secrets).toContain('registry-example-com-robot');
  });
});

describe('invalid resources', () => {
  it.each(INVALID_RESOURCES.map((c) => [c.name, c] as const))('%s is rejected naming its field', (_name, testCase) => {
    let caught: unknown;
    try {
      parseResource(testCase.manifest);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputValidationError);
    const error = caught as InputValidationError;
    expect(error.code).toBe('DM_ERR_INVALID_INPUT');
    expect(error.issues.map((issue) => issue.path)).toContain(testCase.expectField);
    expect(error.message).toContain(testCase.expectField);
  });
});

describe('defaults (the output type)', () => {
  const minimalRegistry = (spec: RegistrySpecInput) => ({ apiVersion: API_GROUP_VERSION, kind: 'Registry', metadata: { name: 'r' }, spec });

  it('fills a minimal Registry as the apiserver would', () => {
    const { spec } = parseRegistry(minimalRegistry({ storage: { pvc: { size: '1Gi' } } }));
    // No image: the reconcile resolves it (registry-image.ts), so a new default never moves a running registry.
    expect(spec).toEqual({
      replicas: 1,
      storage: { pvc: { size: '1Gi', deleteOnRemoval: false } },
      service: { type: 'ClusterIP', port: 5000 },
      hostnames: [],
      admission: { allowed: true },
    });
  });

  it('turns integer quantities into strings and fills garbageCollection defaults', () => {
    const { spec } = parseRegistry(
      minimalRegistry({ storage: { emptyDir: {} }, resources: { requests: { cpu: 1 } }, garbageCollection: { schedule: '@weekly' } }),
    );
    expect(spec.resources?.requests).toEqual({ cpu: '1' });
    expect(spec.garbageCollection).toEqual({ schedule: '@weekly', timeZone: 'UTC', maxDuration: '30m', deleteUntagged: false, suspend: false });
  });

  it('fills a minimal RetentionPolicy: every repository, every tag, nothing protected, not a dry run, runs bounded to an hour', () => {
    const { spec } = parseRetentionPolicy({
      apiVersion: API_GROUP_VERSION,
      kind: 'RetentionPolicy',
      metadata: { name: 'p' },
      spec: { external: { url: 'http://127.0.0.1:5000' }, keep: [{ mostRecent: 3 }] },
    });
    expect(spec).toEqual({
      external: { url: 'http://127.0.0.1:5000', insecure: false },
      timeZone: 'UTC',
      suspend: false,
      dryRun: false,
      inUse: 'Keep',
      maxDuration: '1h',
      repositories: ['**'],
      excludeRepositories: [],
      protectedTags: [],
      keep: [{ tags: ['*'], excludeTags: [], mostRecent: 3 }],
    });
  });

  it('accepts a status as the controllers write it', () => {
    const registry = parseRegistry({
      ...minimalRegistry({ storage: { emptyDir: {} } }),
      status: {
        observedGeneration: 2,
        endpoint: 'http://main.registries.svc:5000',
        readOnly: false,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: '1 of 1 replicas answer /v2/', lastTransitionTime: '2024-05-01T02:00:00Z', observedGeneration: 2 }],
        lastGarbageCollection: { result: 'Succeeded', blobsDeleted: 4, bytesFreed: 123456789, completionTime: '2024-05-05T03:10:00Z' },
        garbageCollectionWindow: { phase: 'Idle', readOnly: false },
      },
    });
    expect(registry.status?.garbageCollectionWindow?.phase).toBe('Idle');
  });
});
