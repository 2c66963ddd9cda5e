/**
 * The node flags the operator runs with as shipped: NODE_OPTIONS of the operator container in
 * deploy/deployment.yaml. Benches run the engine under them so that memory figures are the
 * deployed process's, and report the defaults beside them.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface ContainerView {
  name?: string;
  env?: Array<{ name?: string; value?: string }>;
}

export function shippedNodeFlags(deploymentPath = 'deploy/deployment.yaml', containerName = 'operator'): string[] {
  for (const doc of parseAllDocuments(readFileSync(deploymentPath, 'utf8'))) {
    const object = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: ContainerView[] } } } } | null;
    if (object?.kind !== 'Deployment') continue;
    const operator = object.spec?.template?.spec?.containers?.find((c) => c.name === containerName);
    const value = operator?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    return value ? value.split(/\s+/).filter(Boolean) : [];
  }
  throw new Error(`${deploymentPath}: no Deployment with a "${containerName}" container`);
}
