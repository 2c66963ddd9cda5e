import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from '../../../../src/api/registry.js';
import { createRegistryController } from '../../../../src/controllers/registry/controller.js';
import { silentLogger } from '../../../../src/logging/logger.js';
import { registryChildNames } from '../../../../src/managed-registry/children.js';
import { loadKubeConfig, serverSideApply } from '../../../../src/runtime/kube-client.js';
import { Manager } from '../../../../src/runtime/manager.js';
import { objectPath, RESOURCES } from '../../../../src/runtime/resources.js';
import { startControlPlane, type ControlPlane } from '../../../controlplane/control-plane.js';
import { operatorKubeconfigUnderDeployRbac } from '../../least-privilege.js';
import { ensureNamespace, eventually } from '../../runtime/wait.js';
import { installRegistryCrd } from './registry-crd.js';
import { createTestKubeClients, type TestKubeClients } from '../../../harness/typed-clients.js';

/**
 * A new default registry image (an operator release, or the admin's registries.defaultImage)
 * never moves a Registry that already runs: a Registry without spec.image keeps the image its
 * Deployment runs, and only a new one gets the new default (managed-registry/registry-image.ts).
 * The CRD has no default for spec.image, so nothing is stored that a later apply could remove
 * and the apiserver re-default. Own control plane: two operators with different configurations
 * run one after the other.
 */

let plane: ControlPlane;
let user: TestKubeClients;
let operatorConfigPath: string;
const namespace = 'default-image';

async function runOperator(defaultImage: string): Promise<Manager> {
  const manager = new Manager({
    kubeConfig: loadKubeConfig({ kubeconfigPath: operatorConfigPath }),
    logger: silentLogger(),
    namespaces: [namespace],
    leaderElection: false,
    controllers: [createRegistryController({ resolveEndpoint: undefined, defaultImage })],
  });
  await manager.start();
  return manager;
}

async function applyRegistry(name: string, fieldManager: string): Promise<void> {
  await serverSideApply(user, RESOURCES.registry, { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace }, spec: { storage: { emptyDir: {} } } }, { fieldManager, force: true });
}

async function imagesOf(name: string): Promise<{ deployment?: string; status?: string; spec?: string }> {
  const registry = await user.requestJson<Registry>('GET', objectPath(RESOURCES.registry, namespace, name));
  const deployment = await user.requestJson<V1Deployment>('GET', objectPath(RESOURCES.deployment, namespace, registryChildNames(name).deployment)).catch(() => undefined);
  const image = deployment?.spec?.template.spec?.containers[0]?.image;
  return { ...(image && { deployment: image }), ...(registry.status?.image && { status: registry.status.image }), ...(registry.spec.image && { spec: registry.spec.image }) };
}

async function waitForImages(name: string, image: string): Promise<void> {
  await eventually(async () => expect(await imagesOf(name)).toMatchObject({ deployment: image, status: image }), 30_000, 200);
}

beforeAll(async () => {
  plane = await startControlPlane();
  user = createTestKubeClients(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
  await installRegistryCrd(user);
  await ensureNamespace(user, namespace);
  operatorConfigPath = await operatorKubeconfigUnderDeployRbac(plane);
}, 120_000);
afterAll(async () => plane?.stop());

describe('a changed default registry image', () => {
  it('leaves a running Registry without spec.image on its image (after a re-apply too) and gives a new Registry the new default; status.image says which', async () => {
    const before = await runOperator('registry:2.8.3');
    try {
      await applyRegistry('existing', 'user');
      await waitForImages('existing', 'registry:2.8.3');
    } finally {
      await before.stop();
    }

    const after = await runOperator('registry:3.1.2');
    try {
      await applyRegistry('fresh', 'user');
      await waitForImages('fresh', 'registry:3.1.2');
      // The user applies the same manifest again, under another field manager too: no image appears.
      await applyRegistry('existing', 'user');
      await applyRegistry('existing', 'another-tool');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await imagesOf('existing')).toEqual({ deployment: 'registry:2.8.3', status: 'registry:2.8.3' });
      // Setting spec.image is how a user moves it.
      await serverSideApply(user, RESOURCES.registry, { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', metadata: { name: 'existing', namespace }, spec: { image: 'registry:3.1.2', storage: { emptyDir: {} } } }, { fieldManager: 'user', force: true });
      await waitForImages('existing', 'registry:3.1.2');
    } finally {
      await after.stop();
    }
  }, 120_000);
});
