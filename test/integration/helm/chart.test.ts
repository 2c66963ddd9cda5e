import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseOperatorConfig } from '../../../src/config/operator-config.js';
import { CHART, helm, helmOk, manifests, renderChart, type Manifest } from './helm.js';

const run = promisify(execFile);

/** Helm's own labels and the annotations only the chart has: not part of what deploy/ ships. */
const HELM_LABELS = ['app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'helm.sh/chart'];

async function kustomize(dir: string): Promise<Manifest[]> {
  return manifests((await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 })).stdout);
}

const keyOf = (m: Manifest): string => `${m.kind}/${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;

/** The operator configuration as the operator reads it (defaults filled in): comments and key order do not count. */
function effectiveConfig(m: Manifest): unknown {
  const data = (m as { data?: Record<string, string> }).data ?? {};
  return parseOperatorConfig(parse(data['config.yaml'] ?? '') as unknown);
}

function normalize(m: Manifest, stripHelmLabels: boolean): Manifest {
  const copy = structuredClone(m);
  if (stripHelmLabels && copy.metadata.labels) for (const label of HELM_LABELS) delete copy.metadata.labels[label];
  if (copy.kind === 'ConfigMap' && copy.metadata.name === 'dockmaster-config') copy.data = effectiveConfig(m);
  return copy;
}

/** Every leaf where a and b differ, as `path: a → b`. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return [`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

function compare(deploy: Manifest[], chart: Manifest[]): string[] {
  const fromDeploy = new Map(deploy.map((m) => [keyOf(m), normalize(m, false)]));
  const fromChart = new Map(chart.map((m) => [keyOf(m), normalize(m, true)]));
  const keys = [...new Set([...fromDeploy.keys(), ...fromChart.keys()])].sort();
  return keys.flatMap((key) => {
    if (!fromChart.has(key)) return [`${key}: only in deploy/`];
    if (!fromDeploy.has(key)) return [`${key}: only in the chart`];
    return differences(fromDeploy.get(key), fromChart.get(key)).map((d) => `${key}${d}`);
  });
}

describe('charts/dockmaster', () => {
  it('passes helm lint --strict, with default values and with every toggle on', async () => {
    await helmOk(['lint', '--strict', CHART]);
    await helmOk(['lint', '--strict', CHART, '--set', 'serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true,watch.namespaces={a,b},watch.inUseReaderClusterWide=true']);
  });

  it('renders with default values the objects of kubectl kustomize deploy/, each difference intended and listed here', async () => {
    const diff = compare(await kustomize('deploy'), await renderChart());
    const sha = /"[0-9a-f]{64}"/g;
    expect(diff.map((d) => d.replace(sha, '"<sha256>"')).sort()).toEqual([
      // Helm installs into a namespace it is given (--create-namespace); a chart does not own it.
      'Namespace/dockmaster-system: only in deploy/',
      // Roll the pods when the configuration changes (kustomize users restart them by hand).
      'Deployment/dockmaster-system/dockmaster-operator.spec.template.metadata.annotations: undefined → {"checksum/config":"<sha256>"}',
      'Deployment/dockmaster-system/dockmaster-webhook.spec.template.metadata.annotations: undefined → {"checksum/config":"<sha256>"}',
      // The chart pins a pull policy (a values knob); deploy/ leaves the cluster default.
      'Deployment/dockmaster-system/dockmaster-operator.spec.template.spec.containers.0.imagePullPolicy: undefined → "IfNotPresent"',
      'Deployment/dockmaster-system/dockmaster-webhook.spec.template.spec.containers.0.imagePullPolicy: undefined → "IfNotPresent"',
      // crds.keep: helm uninstall leaves the CRDs (and so every Registry) in place.
      'CustomResourceDefinition/registries.dockmaster.dev.metadata.annotations: undefined → {"helm.sh/resource-policy":"keep"}',
      'CustomResourceDefinition/retentionpolicies.dockmaster.dev.metadata.annotations: undefined → {"helm.sh/resource-policy":"keep"}',
      // Helm owns the configuration it installed (managed-by Helm, stripped above) where deploy/ says dockmaster.
      'ValidatingWebhookConfiguration/dockmaster-image-sources.metadata.labels.app.kubernetes.io/managed-by: "dockmaster" → undefined',
    ].sort());
  });

  it('watch.namespaces renders the namespaced mode of overlays/namespaced: RoleBindings there, no cluster-wide grant', async () => {
    const chart = await renderChart('watch.namespaces={registries}', 'watch.inUseReaderClusterWide=true');
    const overlay = [...(await kustomize('overlays/namespaced')), ...manifests((await run('cat', ['overlays/namespaced/in-use-reader.yaml'])).stdout)];
    const rbac = (list: Manifest[]): Manifest[] => list.filter((m) => m.apiVersion.startsWith('rbac.authorization.k8s.io'));
    expect(compare(rbac(overlay), rbac(chart))).toEqual([]);
    const operator = chart.find((m) => m.kind === 'Deployment' && m.metadata.name === 'dockmaster-operator') as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } } & Manifest;
    expect(operator.spec.template.spec.containers[0]?.args).toContain('--watch-namespace=registries');
    expect(chart.filter((m) => m.kind === 'ClusterRoleBinding').map((m) => m.metadata.name).sort()).toEqual(['dockmaster-in-use-reader', 'dockmaster-webhook']);
  });

  it('webhook values: failurePolicy, timeoutSeconds and a by-name namespaceSelector that only adds to the built-in exclusions', async () => {
    const chart = await renderChart(
      'webhook.failurePolicy=Ignore',
      'webhook.timeoutSeconds=9',
      'webhook.namespaceSelector.matchExpressions[0].key=kubernetes.io/metadata.name',
      'webhook.namespaceSelector.matchExpressions[0].operator=NotIn',
      'webhook.namespaceSelector.matchExpressions[0].values={legacy}',
      'admission.exemptNamespaces={kube-system,monitoring}',
    );
    const vwc = chart.find((m) => m.kind === 'ValidatingWebhookConfiguration') as Manifest & { webhooks: Array<{ failurePolicy: string; timeoutSeconds: number; namespaceSelector: unknown; clientConfig: Record<string, unknown> }> };
    const [images, resources] = vwc.webhooks;
    expect(images).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 9 });
    expect(images?.namespaceSelector).toEqual({
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['dockmaster-system', 'kube-system', 'monitoring'] },
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['legacy'] },
      ],
    });
    // Apply-time validation stays Ignore whatever the image-source webhook's policy.
    expect(resources?.failurePolicy).toBe('Ignore');
    expect(images?.clientConfig).not.toHaveProperty('caBundle');
  });

  it('failurePolicy Ignore is warned about in NOTES.txt; the default is not', async () => {
    const notes = async (...sets: string[]): Promise<string> =>
      helmOk(['install', 'dockmaster', CHART, '--dry-run=client', '--namespace', 'dockmaster-system', ...sets.flatMap((s) => ['--set', s])]);
    expect(await notes('webhook.failurePolicy=Ignore')).toMatch(/WARNING: webhook.failurePolicy is Ignore\. While the webhook is down or unreachable, every image\s+is admitted unchecked/);
    expect(await notes()).not.toContain('WARNING');
  });

  it('values.schema.json refuses, naming the value: a label-based selector, an unknown policy, a bad admission mode, a typo', async () => {
    const refused = async (set: string): Promise<string> => {
      const result = await helm(['template', 'dockmaster', CHART, '--set', set]);
      expect(result.exitCode, set).not.toBe(0);
      return result.stderr;
    };
    expect(await refused('webhook.namespaceSelector.matchExpressions[0].key=team')).toContain('/webhook/namespaceSelector/matchExpressions/0/key');
    expect(await refused('webhook.namespaceSelector.matchLabels.team=a')).toContain('matchLabels');
    expect(await refused('webhook.failurePolicy=Never')).toContain('/webhook/failurePolicy');
    expect(await refused('admission.mode=block')).toContain('/admission/mode');
    expect(await refused('admission.allowedRegistry={x}')).toContain('allowedRegistry');
    expect(await refused('watch.namespaces={Bad_Name}')).toContain('/watch/namespaces/0');
  });

  it('monitoring toggles render deploy/monitoring: the same PrometheusRule groups, a ServiceMonitor, the dashboard ConfigMap', async () => {
    const chart = await renderChart('serviceMonitor.enabled=true', 'prometheusRule.enabled=true', 'grafanaDashboard.enabled=true');
    const shipped = (await kustomize('deploy/monitoring')).find((m) => m.kind === 'PrometheusRule') as Manifest & { spec: unknown };
    const rule = chart.find((m) => m.kind === 'PrometheusRule') as Manifest & { spec: unknown };
    expect(rule.spec).toEqual(shipped.spec);
    expect(rule.metadata.namespace).toBe('dockmaster-system');
    expect(chart.find((m) => m.kind === 'ServiceMonitor')).toBeDefined();
    const dashboard = chart.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'dockmaster-grafana-dashboard') as Manifest & { data: Record<string, string> };
    expect(JSON.parse(dashboard.data['dockmaster.json'] ?? '')).toEqual(JSON.parse((await run('cat', ['deploy/monitoring/grafana-dashboard.json'])).stdout));
    expect(dashboard.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect((await renderChart()).filter((m) => ['PrometheusRule', 'ServiceMonitor'].includes(m.kind))).toEqual([]);
  });
});
