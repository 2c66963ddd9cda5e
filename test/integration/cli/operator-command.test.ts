import { afterAll, describe, expect, it } from 'vitest';
import { sharedControlPlane, uniqueNamespaceName } from '../../controlplane/shared.js';
import { kubectl, kubectlOk } from '../../controlplane/kubectl.js';
import { eventually } from '../runtime/wait.js';
import { startOperatorProcess, type OperatorProcess } from './operator-process.js';

// `dockmaster operator` as a user runs it, against the real kube-apiserver.
describe('dockmaster operator', () => {
  let operator: OperatorProcess | undefined;
  afterAll(() => operator?.kill());

  it('reconciles a Registry, serves health and metrics, and releases its Lease on SIGTERM', async () => {
    const plane = sharedControlPlane();
    const kc = plane.kubeconfigPath;
    const ns = uniqueNamespaceName('operator-cli');
    await kubectlOk(kc, ['apply', '-k', 'crds/']);
    await kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/registries.dockmaster.dev', '--timeout=60s']);
    await kubectlOk(kc, ['create', 'namespace', ns]);
    operator = await startOperatorProcess({ kubeconfig: kc, configYaml: `namespace: ${ns}\n`, configFile: `${plane.dir}/operator-${ns}.yaml`, watchNamespace: ns });

    await kubectlOk(kc, ['-n', ns, 'apply', '-f', '-'], 'apiVersion: dockmaster.dev/v1alpha1\nkind: Registry\nmetadata: {name: cli}\nspec: {storage: {emptyDir: {}}}\n');
    await eventually(async () => {
      const r = await kubectl(kc, ['-n', ns, 'get', 'deployment', 'cli-registry', '-o', 'name']);
      expect(r.exitCode, `${r.stderr}\n${operator?.stderr()}`).toBe(0);
    }, 60_000, 250);
    const lease = JSON.parse(await kubectlOk(kc, ['-n', ns, 'get', 'lease', 'dockmaster-operator', '-o', 'json'])) as { spec: { holderIdentity?: string } };
    expect(lease.spec.holderIdentity).toBeTruthy();
    const metrics = await (await fetch(`http://127.0.0.1:${operator.port}/metrics`)).text();
    expect(metrics).toContain('dockmaster_reconcile_total');

    expect(await operator.stop()).toBe(0);
    const released = JSON.parse(await kubectlOk(kc, ['-n', ns, 'get', 'lease', 'dockmaster-operator', '-o', 'json'])) as { spec: { holderIdentity?: string } };
    expect(released.spec.holderIdentity ?? '').toBe('');
  });
});
