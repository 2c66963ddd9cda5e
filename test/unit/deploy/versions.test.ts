import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockmasterVersion } from '../../../src/version.js';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('one version everywhere', () => {
  it('dockmaster version, the image tag deploy/ pins, the chart version and appVersion, and the newest CHANGELOG entry agree', () => {
    const version = dockmasterVersion();
    for (const file of ['deploy/deployment.yaml', 'deploy/webhook-deployment.yaml', 'deploy/optional/node-config-daemonset.yaml']) {
      const tags = [...read(file).matchAll(/image: ghcr\.io\/dockmaster-dev\/dockmaster:(\S+)/g)].map((m) => m[1]);
      expect(tags.length, file).toBeGreaterThan(0);
      for (const tag of tags) expect(tag, file).toBe(version);
    }
    expect(/^## (\S+)/m.exec(read('CHANGELOG.md'))?.[1]).toBe(version);
    const chart = read('charts/dockmaster/Chart.yaml');
    expect(/^version: (\S+)/m.exec(chart)?.[1]).toBe(version);
    expect(/^appVersion: "(\S+)"/m.exec(chart)?.[1]).toBe(version);
    expect(read('charts/dockmaster/values.yaml')).toMatch(/repository: ghcr\.io\/dockmaster-dev\/dockmaster\n\s+# Default: the chart's appVersion\.\n\s+tag: ""/);
  });
});

describe('the opt-in node-config DaemonSet', () => {
  it('runs `dockmaster node-config` over every namespace into the host paths it mounts', () => {
    const text = read('deploy/optional/node-config-daemonset.yaml');
    expect(text).toMatch(/node-config --all-namespaces --root \/host/);
    for (const dir of ['/etc/containerd/certs.d', '/etc/containers/registries.conf.d', '/etc/containers/certs.d']) {
      expect(text).toContain(`mountPath: /host${dir}`);
      expect(text).toContain(`path: ${dir},`);
    }
    // Opt-in: not in the kustomization everybody applies.
    expect(read('deploy/kustomization.yaml')).not.toMatch(/optional/);
  });
});
