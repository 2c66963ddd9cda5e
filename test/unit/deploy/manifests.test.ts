/**
 * deploy/ as shipped agrees with the code: its configuration parses, and the
 * ValidatingWebhookConfiguration it ships is exactly what the webhook would build for that
 * configuration (the webhook then patches only the caBundle).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { buildValidatingWebhookConfiguration } from '../../../src/admission/webhook-configuration.js';
import { webhookConfigurationSpecFor } from '../../../src/admission/webhook/webhook-configuration-spec.js';
import { parseOperatorConfigText } from '../../../src/config/operator-config.js';

const deploy = resolve(import.meta.dirname, '../../../deploy');

async function deployedConfig() {
  const configMap = parse(await readFile(`${deploy}/config.yaml`, 'utf8')) as { data: { 'config.yaml': string } };
  return parseOperatorConfigText(configMap.data['config.yaml'], 'deploy/config.yaml');
}

describe('deploy/', () => {
  it('ships a configuration that runs the webhook apart and patches only the caBundle', async () => {
    const config = await deployedConfig();
    expect(config.admission.webhook).toMatchObject({ enabled: false, register: true, patchCaBundleOnly: true });
  });

  it('ships the ValidatingWebhookConfiguration the webhook builds for that configuration (without its caBundle)', async () => {
    const shipped = parse(await readFile(`${deploy}/webhook-configuration.yaml`, 'utf8')) as unknown;
    const built = buildValidatingWebhookConfiguration(webhookConfigurationSpecFor(await deployedConfig()));
    expect(shipped).toEqual(JSON.parse(JSON.stringify(built)));
  });

  it('runs the webhook as its own ServiceAccount, which may not create webhook configurations', async () => {
    const rbac = parseAllDocuments(await readFile(`${deploy}/rbac.yaml`, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: Array<{ resources?: string[]; verbs: string[]; resourceNames?: string[] }> });
    const webhookRole = rbac.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'dockmaster-webhook');
    const operatorRole = rbac.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'dockmaster-operator');
    const vwcRules = (role: typeof webhookRole) => role?.rules?.filter((r) => r.resources?.includes('validatingwebhookconfigurations')) ?? [];
    expect(vwcRules(webhookRole)).toEqual([{ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], resourceNames: ['dockmaster-image-sources'], verbs: ['get', 'list', 'watch', 'patch'] }]);
    expect(vwcRules(operatorRole)).toEqual([]);
    const deployment = parse(await readFile(`${deploy}/webhook-deployment.yaml`, 'utf8').then((t) => t.split('\n---\n')[0]!)) as { spec: { template: { spec: { serviceAccountName: string; containers: Array<{ args: string[] }> } } } };
    expect(deployment.spec.template.spec.serviceAccountName).toBe('dockmaster-webhook');
    expect(deployment.spec.template.spec.containers[0]?.args.slice(0, 1)).toEqual(['webhook']);
  });

  it('routes the webhook Service by the named port: webhook pods serve it, 0.2.0 operator pods never, 0.1.0 operator pods while an upgrade rolls', async () => {
    type Doc = { kind: string; metadata: { name: string }; spec: { selector?: Record<string, string>; ports?: Array<{ targetPort: unknown }>; template?: { spec: { containers: Array<{ ports?: Array<{ name: string }> }> } } } };
    const docs = async (file: string): Promise<Doc[]> => parseAllDocuments(await readFile(`${deploy}/${file}`, 'utf8')).map((d) => d.toJS() as Doc);
    const service = (await docs('service.yaml')).find((d) => d.metadata.name === 'dockmaster-webhook');
    expect(service?.spec.selector).toEqual({ 'app.kubernetes.io/name': 'dockmaster' });
    expect(service?.spec.ports?.map((p) => p.targetPort)).toEqual(['webhook']);
    const portNames = (doc: Doc | undefined) => doc?.spec.template?.spec.containers.flatMap((c) => c.ports?.map((p) => p.name) ?? []);
    expect(portNames((await docs('deployment.yaml'))[0])).not.toContain('webhook');
    expect(portNames((await docs('webhook-deployment.yaml'))[0])).toContain('webhook');
  });

  it('sets NODE_OPTIONS that node accepts there, in deploy/ and the chart', async () => {
    // Node refuses most V8 flags in NODE_OPTIONS and exits 9 (`--optimize-for-size` once got into
    // both files that way; a bench passing the same flags on the command line saw nothing).
    const files = ['deploy/deployment.yaml', 'deploy/webhook-deployment.yaml', 'charts/dockmaster/templates/operator-deployment.yaml', 'charts/dockmaster/templates/webhook-deployment.yaml'];
    for (const file of files) {
      const text = await readFile(resolve(import.meta.dirname, '../../..', file), 'utf8');
      const value = /- name: NODE_OPTIONS\n\s+value: (.+)/.exec(text)?.[1]?.replace(/\{\{[^}]*\}\}/g, '100');
      expect(value, file).toMatch(/--max-old-space-size=\d+/);
      const run = promisify(execFile)(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: value } });
      await expect(run.then(() => 'started', (error: Error) => error.message), `${file}: NODE_OPTIONS=${value}`).resolves.toBe('started');
    }
  });
});
