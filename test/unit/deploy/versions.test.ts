import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockmasterVersion } from '../../../src/version.js';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('one version everywhere', () => {
  it('dockmaster version, the image tag deploy/ pins and the newest CHANGELOG entry agree', () => {
    const version = dockmasterVersion();
    for (const file of ['deploy/deployment.yaml', 'deploy/webhook-deployment.yaml']) {
      const tags = [...read(file).matchAll(/image: ghcr\.io\/dockmaster-dev\/dockmaster:(\S+)/g)].map((m) => m[1]);
      expect(tags.length, file).toBeGreaterThan(0);
      for (const tag of tags) expect(tag, file).toBe(version);
    }
    expect(/^## (\S+)/m.exec(read('CHANGELOG.md'))?.[1]).toBe(version);
  });
});
