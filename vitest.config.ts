import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no processes) and `integration` (real docker-registry,
// skopeo, etcd + kube-apiserver). `npm test` runs both; neither ever skips silently.
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
    ],
  },
});
