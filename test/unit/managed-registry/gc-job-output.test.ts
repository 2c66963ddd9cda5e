import { describe, expect, it } from 'vitest';
import { outputTail, parseGarbageCollectOutput } from '../../../src/managed-registry/gc-job-output.js';

// distribution 2.8.2's output (test/integration/harness/garbage-collect.test.ts) wrapped by the Job script.
const SUCCEEDED = [
  'app',
  'app: marking manifest sha256:1a95aa ',
  'app: marking blob sha256:54f7bb',
  '',
  '3 blobs marked, 6 blobs and 0 manifests eligible for deletion',
  'blob eligible for deletion: sha256:6b1a00',
  'time="2025-03-02T03:00:01Z" level=info msg="Deleting blob: /docker/registry/v2/blobs/sha256/6b/6b1a00" go.version=go1.21',
  'dockmaster-gc: summary 3 blobs marked, 6 blobs and 0 manifests eligible for deletion',
  'dockmaster-gc: blob-bytes-before 22874',
  'dockmaster-gc: blob-bytes-after 4899',
  '',
].join('\n');

describe('parseGarbageCollectOutput', () => {
  it('reads counts from the summary and bytes freed from the two measurements', () => {
    expect(parseGarbageCollectOutput(SUCCEEDED)).toEqual({ blobsMarked: 3, blobsDeleted: 6, manifestsDeleted: 0, bytesFreed: 17975 });
  });

  it('finds the summary repeated by the script when a log tail lost the original', () => {
    const tail = SUCCEEDED.split('\n').slice(7).join('\n');
    expect(parseGarbageCollectOutput(tail)).toMatchObject({ blobsDeleted: 6, bytesFreed: 17975 });
  });

  it('counts untagged manifests from --delete-untagged runs', () => {
    expect(parseGarbageCollectOutput('5 blobs marked, 4 blobs and 2 manifests eligible for deletion\n')).toMatchObject({ manifestsDeleted: 2 });
  });

  it('leaves bytes freed unset on s3 and says why', () => {
    const s3 = 'dockmaster-gc: blob-bytes-not-measured s3 storage has no filesystem the Job could measure\n1 blobs marked, 0 blobs and 0 manifests eligible for deletion\n';
    expect(parseGarbageCollectOutput(s3)).toEqual({ blobsMarked: 1, blobsDeleted: 0, manifestsDeleted: 0, bytesNotMeasured: 's3 storage has no filesystem the Job could measure' });
  });

  it('reports no bytes when one measurement is missing or the storage grew (something else wrote)', () => {
    expect(parseGarbageCollectOutput('dockmaster-gc: blob-bytes-before 10\n').bytesFreed).toBeUndefined();
    expect(parseGarbageCollectOutput('dockmaster-gc: blob-bytes-before 10\ndockmaster-gc: blob-bytes-after 20\n').bytesFreed).toBeUndefined();
  });

  it('returns nothing from an output without a summary (failed early, or the log is gone)', () => {
    expect(parseGarbageCollectOutput('')).toEqual({});
    expect(parseGarbageCollectOutput('configuration error: open /etc/docker/registry/config.yml: no such file')).toEqual({});
  });

  it('outputTail keeps the last non-empty lines, bounded', () => {
    expect(outputTail('a\n\nb\nc\nd\n', 2)).toBe('c | d');
    expect(outputTail('x'.repeat(1000), 1, 10)).toBe(`…${'x'.repeat(10)}`);
  });
});
