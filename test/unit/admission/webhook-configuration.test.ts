import { describe, expect, it } from 'vitest';
import {
  buildValidatingWebhookConfiguration,
  caBundlePems,
  isAppliedIn,
  joinPems,
  splitPemCertificates,
  type WebhookConfigurationSpec,
} from '../../../src/admission/webhook-configuration.js';
import { parseOperatorConfig } from '../../../src/config/operator-config.js';
import { webhookConfigurationSpecFor, webhookEnabledInOperator } from '../../../src/admission/webhook/webhook-configuration-spec.js';

const PEM_A = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
const PEM_B = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';

const SPEC: WebhookConfigurationSpec = {
  name: 'dockmaster-image-sources',
  service: { namespace: 'dockmaster-system', name: 'dockmaster-webhook', port: 443 },
  failurePolicy: 'Fail',
  timeoutSeconds: 5,
  exemptNamespaces: ['kube-system', 'dockmaster-system', 'kube-system'],
  caBundlePems: [PEM_A, PEM_B],
  caBundlePublishedAt: '2026-01-01T00:00:00.000Z',
};

describe('buildValidatingWebhookConfiguration', () => {
  const vwc = buildValidatingWebhookConfiguration(SPEC);
  const hook = vwc.webhooks![0]!;

  it('fails closed with a short timeout, no side effects, v1 reviews', () => {
    expect(hook).toMatchObject({ name: 'image-sources.dockmaster.dev', failurePolicy: 'Fail', timeoutSeconds: 5, sideEffects: 'None', admissionReviewVersions: ['v1'] });
  });

  it('checks pods, the ephemeral containers subresource and every pod controller on CREATE and UPDATE', () => {
    const resources = hook.rules!.flatMap((rule) => rule.resources ?? []);
    expect(resources.sort()).toEqual(
      ['cronjobs', 'daemonsets', 'deployments', 'jobs', 'pods', 'pods/ephemeralcontainers', 'replicasets', 'replicationcontrollers', 'statefulsets'].sort(),
    );
    for (const rule of hook.rules!) expect(rule.operations).toEqual(['CREATE', 'UPDATE']);
  });

  it('exempts namespaces by the kubernetes.io/metadata.name label, deduplicated and sorted', () => {
    expect(hook.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['dockmaster-system', 'kube-system'] }] });
  });

  it('adds matchLabels for a staged roll-out', () => {
    const scoped = buildValidatingWebhookConfiguration({ ...SPEC, matchNamespaceLabels: { team: 'a' } }).webhooks![0]!;
    expect(scoped.namespaceSelector?.matchLabels).toEqual({ team: 'a' });
  });

  it('calls the Service at /validate, or a URL out of cluster', () => {
    expect(hook.clientConfig.service).toEqual({ namespace: 'dockmaster-system', name: 'dockmaster-webhook', path: '/validate', port: 443 });
    const byUrl = buildValidatingWebhookConfiguration({ ...SPEC, url: 'https://127.0.0.1:9443/validate' }).webhooks![0]!;
    expect(byUrl.clientConfig).toMatchObject({ url: 'https://127.0.0.1:9443/validate' });
    expect(byUrl.clientConfig.service).toBeUndefined();
  });

  it('carries every CA in the caBundle and reads them back', () => {
    expect(Buffer.from(hook.clientConfig.caBundle!, 'base64').toString()).toBe(PEM_A + PEM_B);
    expect(caBundlePems(vwc)).toEqual([PEM_A, PEM_B]);
    expect(vwc.metadata?.annotations?.['dockmaster.dev/ca-bundle-published-at']).toBe('2026-01-01T00:00:00.000Z');
  });

  it('leaves the caBundle out when someone else injects it', () => {
    const { caBundlePems: _omitted, ...rest } = SPEC;
    expect(buildValidatingWebhookConfiguration(rest).webhooks![0]!.clientConfig.caBundle).toBeUndefined();
  });
});

describe('isAppliedIn', () => {
  const desired = buildValidatingWebhookConfiguration(SPEC);
  it('accepts the object as the apiserver returns it, with defaults and metadata added', () => {
    const actual = structuredClone(desired) as unknown as { metadata: Record<string, unknown>; webhooks: Array<Record<string, unknown>> };
    actual.metadata.resourceVersion = '42';
    actual.webhooks[0]!.objectSelector = {};
    expect(isAppliedIn(desired, actual)).toBe(true);
  });
  it('sees an edited field, a removed rule and a missing object', () => {
    const edited = structuredClone(desired);
    edited.webhooks![0]!.failurePolicy = 'Ignore';
    expect(isAppliedIn(desired, edited)).toBe(false);
    const fewer = structuredClone(desired);
    fewer.webhooks![0]!.rules!.pop();
    expect(isAppliedIn(desired, fewer)).toBe(false);
    expect(isAppliedIn(desired, undefined)).toBe(false);
  });
});

describe('PEM bundles', () => {
  it('split and join round-trip, ignoring text between certificates', () => {
    expect(splitPemCertificates(`junk\n${PEM_A}more\n${PEM_B}`)).toEqual([PEM_A, PEM_B]);
    expect(joinPems([PEM_A.trim(), PEM_B])).toBe(PEM_A + PEM_B);
  });
});

describe('webhook settings from the operator configuration', () => {
  it('runs in the operator only in a cluster unless configured', () => {
    const config = parseOperatorConfig({});
    const inPod = { KUBERNETES_SERVICE_HOST: '10.0.0.1' };
    expect(webhookEnabledInOperator(config, { kubeconfigFlag: false, env: {} })).toBe(false);
    expect(webhookEnabledInOperator(config, { kubeconfigFlag: false, env: inPod })).toBe(true);
    // A pod driving another apiserver with --kubeconfig (CI): not the cluster that would call us.
    expect(webhookEnabledInOperator(config, { kubeconfigFlag: true, env: inPod })).toBe(false);
    expect(webhookEnabledInOperator(parseOperatorConfig({ admission: { webhook: { enabled: true } } }), { kubeconfigFlag: true, env: {} })).toBe(true);
    expect(webhookEnabledInOperator(parseOperatorConfig({ admission: { webhook: { enabled: false } } }), { kubeconfigFlag: false, env: inPod })).toBe(false);
  });

  it('always exempts the operator namespace and defaults to the Service, Fail and 5 s', () => {
    const spec = webhookConfigurationSpecFor(parseOperatorConfig({ namespace: 'ops', admission: { exemptNamespaces: ['kube-system'] } }));
    expect(spec).toEqual({
      name: 'dockmaster-image-sources',
      service: { namespace: 'ops', name: 'dockmaster-webhook', port: 443 },
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      exemptNamespaces: ['kube-system', 'ops'],
    });
  });

  it('rejects a plain-http url', () => {
    expect(() => parseOperatorConfig({ admission: { webhook: { url: 'http://127.0.0.1:9443/validate' } } })).toThrow(/url/);
  });
});
