/**
 * The real control plane the runtime's integration tests run against: the shared helper of
 * test/controlplane when present, else a kubeconfig given in DOCKMASTER_TEST_KUBECONFIG.
 * Never skips: with neither, the tests fail and say what is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TestControlPlane {
  kubeconfigPath: string;
  restartApiServer?(): Promise<void>;
  stop(): Promise<void>;
}

interface ControlPlaneModule {
  startControlPlane(options?: Record<string, unknown>): Promise<TestControlPlane>;
}

const helperPath = fileURLToPath(new URL('../../controlplane/control-plane.ts', import.meta.url));

/** Starts a control plane of our own (needed to restart its apiserver without disturbing others). */
export async function startOwnControlPlane(): Promise<TestControlPlane> {
  if (existsSync(helperPath)) {
    const helper = (await import(helperPath)) as ControlPlaneModule;
    const plane = await helper.startControlPlane();
    if (typeof plane?.kubeconfigPath !== 'string' || typeof plane.stop !== 'function') {
      throw new Error(`${helperPath}: startControlPlane() must return { kubeconfigPath, stop(), restartApiServer() }`);
    }
    return plane;
  }
  const kubeconfigPath = process.env.DOCKMASTER_TEST_KUBECONFIG;
  if (!kubeconfigPath) {
    throw new Error(`No control plane: ${helperPath} is missing and DOCKMASTER_TEST_KUBECONFIG is unset`);
  }
  // DOCKMASTER_TEST_RESTART_COMMAND: a shell command that restarts that apiserver and waits for /readyz.
  const restartCommand = process.env.DOCKMASTER_TEST_RESTART_COMMAND;
  return {
    kubeconfigPath,
    restartApiServer: restartCommand
      ? async () => {
          const { exec } = await import('node:child_process');
          const { promisify } = await import('node:util');
          await promisify(exec)(restartCommand);
        }
      : undefined,
    stop: async () => undefined,
  };
}
