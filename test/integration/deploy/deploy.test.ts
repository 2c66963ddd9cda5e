import { afterAll, describe, expect, it } from 'vitest';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { eventually } from '../runtime/wait.js';
import { startOperatorProcess, type OperatorProcess } from '../cli/operator-process.js';

// deploy/ applied for real (not a dry run), then the operator run under exactly its
// ServiceAccount and RBAC: a verb the manifests lack fails this test.
describe('deploy/', () => {
  let operator: OperatorProcess | undefined;
  afterAll(() => operator?.kill());

  it('applies with kubectl apply -k and every object is accepted', async () => {
    const kc = sharedControlPlane().kubeconfigPath;
    const out = await kubectlOk(kc, ['apply', '-k', 'deploy/']);
    for (const object of [
      'namespace/dockmaster-system',
      'customresourcedefinition.apiextensions.k8s.io/registries.dockmaster.dev',
      'serviceaccount/dockmaster',
      'clusterrole.rbac.authorization.k8s.io/dockmaster-operator',
      'deployment.apps/dockmaster-operator',
      'service/dockmaster-webhook',
      'poddisruptionbudget.policy/dockmaster-operator',
      'configmap/dockmaster-config',
    ]) {
      expect(out).toContain(object);
    }
  });

  it('runs the Registry controller under the deploy/ ServiceAccount (least privilege)', async () => {
    const plane = sharedControlPlane();
    const admin = plane.kubeconfigPath;
    await kubectlOk(admin, ['apply', '-k', 'deploy/']);
    const ns = uniqueNamespaceName('least-privilege');
    await kubectlOk(admin, ['create', 'namespace', ns]);
    const { kubeconfigPath } = await plane.mintServiceAccountToken('dockmaster-system', 'dockmaster');
    const config = await kubectlOk(admin, ['-n', 'dockmaster-system', 'get', 'configmap', 'dockmaster-config', '-o', 'jsonpath={.data.config\\.yaml}']);
    // Watches every namespace, as deployed; the Lease goes to dockmaster-system.
    operator = await startOperatorProcess({ kubeconfig: kubeconfigPath, configYaml: config, configFile: `${plane.dir}/operator-least-privilege.yaml` });

    await kubectlOk(admin, ['-n', ns, 'apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: users}\nstringData: {htpasswd: "a:b"}\n');
    await kubectlOk(admin, ['-n', ns, 'apply', '-f', '-'], [
      'apiVersion: dockmaster.dev/v1alpha1',
      'kind: Registry',
      'metadata: {name: lp}',
      'spec: {storage: {pvc: {size: 1Gi, deleteOnRemoval: true}}, auth: {htpasswdSecret: users}}',
      '',
    ].join('\n'));
    for (const child of ['deployment/lp-registry', 'service/lp', 'configmap/lp-registry-config', 'secret/lp-registry-http', 'persistentvolumeclaim/lp-registry-data']) {
      await eventually(async () => {
        const r = await kubectl(admin, ['-n', ns, 'get', child, '-o', 'name']);
        expect(r.exitCode, `${child}: ${r.stderr}\n${operator?.stderr()}`).toBe(0);
      }, 60_000, 250);
    }
    await eventually(async () => {
      const reg = JSON.parse(await kubectlOk(admin, ['-n', ns, 'get', 'registry', 'lp', '-o', 'json'])) as { status?: { observedGeneration?: number } };
      expect(reg.status?.observedGeneration, operator?.stderr()).toBe(1);
    }, 60_000, 250);
    // Deletion runs the finalizer's cleanup under the same RBAC.
    await kubectlOk(admin, ['-n', ns, 'delete', 'registry', 'lp', '--wait=true', '--timeout=60s']);
    // An RBAC denial names the user and the verb. Other 403s are not about our RBAC: the operator
    // watches every namespace, and another test's namespace being deleted refuses new Events.
    expect(operator.stderr()).not.toMatch(/system:serviceaccount:dockmaster-system:dockmaster\W* cannot /);
    expect(await operator.stop()).toBe(0);
  });
});
