import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic, no processes), `integration` (real docker-registry 2.8.2,
// skopeo, etcd + kube-apiserver) and `registry-3.1.2`, which runs the registry-facing suites (v2
// client, retention plan and apply, garbage-collect, fixtures, skopeo) again on distribution
// 3.1.2: a failure there names the version in its project. `npm test` runs all three; none ever
// skips silently.
const REGISTRY_FACING = [
  'test/integration/registry/**/*.test.ts',
  'test/integration/retention/**/*.test.ts',
  'test/integration/harness/garbage-collect.test.ts',
  'test/integration/harness/fixtures.test.ts',
  'test/integration/harness/skopeo.test.ts',
  'test/integration/harness/s3-storage.test.ts',
  'test/integration/harness/distribution-3-quirks.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Projects with different maxWorkers must run in separate groups: unit first.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The 3.x behaviour pins run in the 3.1.2 project only.
          exclude: ['test/integration/harness/distribution-3-quirks.test.ts'],
          environment: 'node',
          // Builds/finds the control-plane binaries once and starts the shared control plane.
          globalSetup: ['test/controlplane/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Real processes: keep parallelism modest on a 2-core machine.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'registry-3.1.2',
          include: REGISTRY_FACING,
          // Runs against `registry` 3.1.2 built by test/servers/build-binaries.sh (test/harness/registry.ts).
          env: { DOCKMASTER_REGISTRY_VERSION: '3.1.2' },
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
