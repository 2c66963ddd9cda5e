import { inject } from 'vitest';
import { controlPlaneAccess, type ControlPlaneAccess, type ControlPlaneInfo } from './control-plane-access.js';

/**
 * The control plane the integration project's globalSetup starts once per run and shares with
 * every test file (see global-setup.ts). Tests isolate themselves with a namespace of their own;
 * a test that restarts the apiserver, runs kube-controller-manager or needs a pristine cluster
 * starts its own with `startControlPlane()` instead.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** null when the run was started with DOCKMASTER_SHARED_CONTROLPLANE=0. */
    dockmasterSharedControlPlane: ControlPlaneInfo | null;
    /** The folder holding etcd, kube-apiserver and kube-controller-manager. */
    dockmasterControlPlaneBin: string;
  }
}

export function sharedControlPlane(): ControlPlaneAccess {
  const info = inject('dockmasterSharedControlPlane');
  if (!info) {
    throw new Error('No shared control plane: this run set DOCKMASTER_SHARED_CONTROLPLANE=0, or vitest ran without test/controlplane/global-setup.ts');
  }
  return controlPlaneAccess(info);
}

/** A namespace name unique to this run and test: `<prefix>-<random>`. */
export function uniqueNamespaceName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
