import { describe, expect, it } from 'vitest';
import { registryLineOfImage } from '../servers/binaries.js';

describe('the registry version an image names (the stand-in kubelet runs it)', () => {
  it.each([
    ['registry:2.8.3', '2.8.2'],
    ['registry:2', '2.8.2'],
    ['docker.io/library/registry:3.0.0', '3.1.2'],
    ['registry:3', '3.1.2'],
    ['mirror.local:5000/registry:3.1.2', '3.1.2'],
    ['ghcr.io/distribution/distribution:v3.1.0', '3.1.2'],
    ['registry:3.1.2@sha256:' + 'a'.repeat(64), '3.1.2'],
    ['registry@sha256:' + 'a'.repeat(64), '2.8.2'],
    ['localhost:5000/registry', '2.8.2'],
    [undefined, '2.8.2'],
  ] as const)('%s → %s', (image, line) => {
    expect(registryLineOfImage(image)).toBe(line);
  });
});
