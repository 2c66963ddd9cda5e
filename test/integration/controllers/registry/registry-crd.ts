import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { apiErrorStatus, type KubeClients } from '../../../../src/runtime/kube-client.js';
import { eventually } from '../../runtime/wait.js';

const crdsDir = fileURLToPath(new URL('../../../../crds/', import.meta.url));

interface CrdDocument {
  kind?: string;
  metadata?: { name?: string };
}

/** The generated Registry CRD from crds/ (derived from src/api); the tests run against it. */
export function loadRegistryCrd(): CrdDocument {
  const files = readdirSync(crdsDir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(path.join(crdsDir, file), 'utf8'))) {
      const crd = doc.toJS() as CrdDocument;
      if (crd?.kind === 'CustomResourceDefinition' && crd.metadata?.name === 'registries.dockmaster.dev') return crd;
    }
  }
  throw new Error(`No CustomResourceDefinition registries.dockmaster.dev in ${crdsDir}: run npm run crds`);
}

/** Creates (or replaces) the Registry CRD and waits until the apiserver serves it. */
export async function installRegistryCrd(clients: KubeClients): Promise<void> {
  const crd = loadRegistryCrd();
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  try {
    await clients.requestJson('POST', base, { body: crd });
  } catch (error) {
    if (apiErrorStatus(error) !== 409) throw error;
    await clients.requestJson('PATCH', `${base}/registries.dockmaster.dev`, {
      body: crd,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'registry-tests', force: 'true' },
    });
  }
  await eventually(async () => {
    await clients.requestJson('GET', '/apis/dockmaster.dev/v1alpha1/registries');
  }, 30_000, 200);
}
