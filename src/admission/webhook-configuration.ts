import type { V1RuleWithOperations, V1ValidatingWebhook, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';

/**
 * The ValidatingWebhookConfiguration. deploy/ ships it as a manifest (deploy/webhook-configuration.yaml,
 * kept equal to what this builds by a unit test) and the webhook patches only its caBundle, which
 * is known only at run time (the webhook creates and rotates the CA). Outside deploy/ (the demo,
 * tests, `register: true` without `patchCaBundleOnly`) the webhook applies it whole.
 */

export const WEBHOOK_NAME = 'image-sources.dockmaster.dev';
export const VALIDATE_PATH = '/validate';
/** When the current caBundle was written: the rotation planner waits for it to reach every apiserver. */
export const CA_BUNDLE_PUBLISHED_AT_ANNOTATION = 'dockmaster.dev/ca-bundle-published-at';
/** Set by the apiserver on every namespace from its name; users cannot forge it, unlike an opt-out label. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const OPERATIONS = ['CREATE', 'UPDATE'];

/**
 * Pods, including `pods/ephemeralcontainers` (the subresource `kubectl debug` writes through, an
 * UPDATE the `pods` rule alone does not match), and every pod controller, so a denial shows up at
 * `kubectl apply` rather than later in a ReplicaSet's events.
 */
export const WEBHOOK_RULES: V1RuleWithOperations[] = [
  { apiGroups: [''], apiVersions: ['v1'], operations: OPERATIONS, resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'], scope: 'Namespaced' },
  { apiGroups: ['apps'], apiVersions: ['v1'], operations: OPERATIONS, resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], scope: 'Namespaced' },
  { apiGroups: ['batch'], apiVersions: ['v1'], operations: OPERATIONS, resources: ['jobs', 'cronjobs'], scope: 'Namespaced' },
];

export interface WebhookConfigurationSpec {
  /** metadata.name, `dockmaster-image-sources` by default. */
  name: string;
  /** clientConfig.url (out of cluster, tests); else `service`. */
  url?: string;
  service?: { namespace: string; name: string; port: number };
  failurePolicy: 'Fail' | 'Ignore';
  timeoutSeconds: number;
  /** Never sent to the webhook (the operator's own namespace belongs here). */
  exemptNamespaces: readonly string[];
  /** Only namespaces with all these labels are checked (staged roll-out, tests sharing a cluster). */
  matchNamespaceLabels?: Readonly<Record<string, string>>;
  /** PEM CA certificates the apiserver trusts for the webhook; omitted when another party injects it. */
  caBundlePems?: readonly string[];
  /** ISO time the caBundle was written (an annotation). */
  caBundlePublishedAt?: string;
}

export function buildValidatingWebhookConfiguration(spec: WebhookConfigurationSpec): V1ValidatingWebhookConfiguration {
  const clientConfig: NonNullable<V1ValidatingWebhookConfiguration['webhooks']>[number]['clientConfig'] = spec.url
    ? { url: spec.url }
    : { service: { namespace: spec.service?.namespace ?? '', name: spec.service?.name ?? '', path: VALIDATE_PATH, port: spec.service?.port ?? 443 } };
  if (spec.caBundlePems && spec.caBundlePems.length > 0) clientConfig.caBundle = Buffer.from(joinPems(spec.caBundlePems)).toString('base64');
  const exempt = [...new Set(spec.exemptNamespaces)].sort();
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: spec.name,
      labels: { 'app.kubernetes.io/name': 'dockmaster', 'app.kubernetes.io/component': 'admission-webhook', 'app.kubernetes.io/managed-by': 'dockmaster' },
      ...(spec.caBundlePublishedAt && { annotations: { [CA_BUNDLE_PUBLISHED_AT_ANNOTATION]: spec.caBundlePublishedAt } }),
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        clientConfig,
        rules: WEBHOOK_RULES,
        failurePolicy: spec.failurePolicy,
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: spec.timeoutSeconds,
        namespaceSelector: {
          ...(spec.matchNamespaceLabels && Object.keys(spec.matchNamespaceLabels).length > 0 && { matchLabels: { ...spec.matchNamespaceLabels } }),
          ...(exempt.length > 0 && { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: exempt }] }),
        },
      },
    ],
  };
}

/**
 * The part of the configuration the webhook owns when the configuration itself is shipped as a
 * manifest (deploy/, the Helm chart): only the caBundle of our webhook, by name, and the
 * annotation saying when it was published. Applied with its own field manager, so server-side
 * apply gives the webhook ownership of exactly these fields and nothing else.
 */
export function caBundlePatch(name: string, caBundlePems: readonly string[], publishedAt: string | undefined): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name, ...(publishedAt && { annotations: { [CA_BUNDLE_PUBLISHED_AT_ANNOTATION]: publishedAt } }) },
    // A partial webhook on purpose: server-side apply merges it into the shipped one by name.
    webhooks: [{ name: WEBHOOK_NAME, clientConfig: { caBundle: Buffer.from(joinPems(caBundlePems)).toString('base64') } } as V1ValidatingWebhook],
  };
}

/** The CA certificates of a caBundle (base64 of concatenated PEMs), as PEMs. */
export function caBundlePems(configuration: V1ValidatingWebhookConfiguration | undefined): string[] {
  const encoded = configuration?.webhooks?.find((w) => w.name === WEBHOOK_NAME)?.clientConfig.caBundle;
  return encoded ? splitPemCertificates(Buffer.from(encoded, 'base64').toString('utf8')) : [];
}

/**
 * Whether every field we set already has our value in `actual` (which also carries the
 * apiserver's defaults): level-based re-apply without a write when nothing changed.
 */
export function isAppliedIn(desired: unknown, actual: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((item, i) => isAppliedIn(item, actual[i]));
  }
  if (desired !== null && typeof desired === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const record = actual as Record<string, unknown>;
    return Object.entries(desired).every(([key, value]) => isAppliedIn(value, record[key]));
  }
  return desired === actual;
}

export function splitPemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((pem) => `${pem}\n`) ?? [];
}

export function joinPems(pems: readonly string[]): string {
  return pems.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join('');
}
