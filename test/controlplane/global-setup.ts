import type { TestProject } from 'vitest/node';
import { BIN_DIR_ENV, runBuildScript } from './binaries.js';
import { startControlPlane } from './control-plane.js';
import './shared.js';

/**
 * The integration project's globalSetup. It builds (or finds) the control-plane binaries once,
 * before any worker starts, so parallel test files never race to build them, and starts one
 * control plane for the whole run (≈3 s cached), handed to workers through `provide`: the
 * kubeconfig path and admin credentials (see shared.ts). Started eagerly, not on first use:
 * a lazily started plane would live in whichever worker asked first and die with it. Test files
 * that need none pay only that start-up; `DOCKMASTER_SHARED_CONTROLPLANE=0` skips it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binDir = process.env[BIN_DIR_ENV] || (await runBuildScript());
  // Workers are forked after this runs, so they inherit it and skip the build script.
  process.env[BIN_DIR_ENV] = binDir;
  project.provide('dockmasterControlPlaneBin', binDir);

  if (process.env.DOCKMASTER_SHARED_CONTROLPLANE === '0') {
    project.provide('dockmasterSharedControlPlane', null);
    return async () => undefined;
  }
  const plane = await startControlPlane();
  project.provide('dockmasterSharedControlPlane', plane.info);
  return async () => plane.stop();
}
