import type { V1RuleWithOperations, V1ValidatingWebhook, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';

/**
 * The ValidatingWebhookConfiguration. deploy/ ships it as a manifest (deploy/webhook-configuration.yaml,
 * kept equal to what this builds by a unit test) and the webhook patches only its caBundle, which
 * is known only at run time (the webhook creates and rotates the CA). Outside deploy/ (the demo,
 * tests, `register: true` without `patchCaBundleOnly`) the webhook applies it whole.
 */

export const WEBHOOK_NAME = 'image-sources.dockmaster.dev';
export const VALIDATE_PATH = '/validate';
/** Apply-time validation of Registries and RetentionPolicies (resource-validation.ts). */
export const RESOURCES_WEBHOOK_NAME = 'resources.dockmaster.dev';
export const VALIDATE_RESOURCES_PATH = '/validate-resources';
/** Both webhooks of the configuration, in its order; they share the service and the caBundle. */
export const OUR_WEBHOOK_NAMES = [WEBHOOK_NAME, RESOURCES_WEBHOOK_NAME] as const;
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

/** Registries and RetentionPolicies as written; never their status, never a delete. */
export const RESOURCE_WEBHOOK_RULES: V1RuleWithOperations[] = [
  { apiGroups: ['dockmaster.dev'], apiVersions: ['v1alpha1'], operations: OPERATIONS, resources: ['registries', 'retentionpolicies'], scope: 'Namespaced' },
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
  const clientConfigAt = (path: string): V1ValidatingWebhook['clientConfig'] => {
    const config: V1ValidatingWebhook['clientConfig'] = spec.url
      ? { url: path === VALIDATE_PATH ? spec.url : `${spec.url.replace(/\/validate$/, '')}${path}` }
      : { service: { namespace: spec.service?.namespace ?? '', name: spec.service?.name ?? '', path, port: spec.service?.port ?? 443 } };
    if (spec.caBundlePems && spec.caBundlePems.length > 0) config.caBundle = Buffer.from(joinPems(spec.caBundlePems)).toString('base64');
    return config;
  };
  const clientConfig = clientConfigAt(VALIDATE_PATH);
  const exempt = [...new Set(spec.exemptNamespaces)].sort();
  const matchLabels = spec.matchNamespaceLabels && Object.keys(spec.matchNamespaceLabels).length > 0 ? { matchLabels: { ...spec.matchNamespaceLabels } } : {};
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
          ...matchLabels,
          ...(exempt.length > 0 && { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: exempt }] }),
        },
      },
      {
        name: RESOURCES_WEBHOOK_NAME,
        clientConfig: clientConfigAt(VALIDATE_RESOURCES_PATH),
        rules: RESOURCE_WEBHOOK_RULES,
        // Ignore, on purpose: the controllers parse every spec again and report SpecInvalid, so an
        // outage only delays the error; Fail would block every edit of a CR while the webhook is
        // down, the operator's finalizer removal included (namespace deletion would hang).
        failurePolicy: 'Ignore',
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: spec.timeoutSeconds,
        namespaceSelector: { ...matchLabels },
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
export function caBundlePatch(
  name: string,
  caBundlePems: readonly string[],
  publishedAt: string | undefined,
  webhookNames: readonly string[],
): V1ValidatingWebhookConfiguration {
  const caBundle = Buffer.from(joinPems(caBundlePems)).toString('base64');
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name, ...(publishedAt && { annotations: { [CA_BUNDLE_PUBLISHED_AT_ANNOTATION]: publishedAt } }) },
    // Partial webhooks on purpose: server-side apply merges each into the shipped one by name.
    // Only the webhooks the shipped configuration has: a partial new one would be invalid.
    webhooks: webhookNames.map((webhook) => ({ name: webhook, clientConfig: { caBundle } }) as V1ValidatingWebhook),
  };
}

/** Our webhooks that a configuration has, in its order (an older manifest may lack the resources webhook). */
export function ourWebhooksIn(configuration: V1ValidatingWebhookConfiguration | undefined): string[] {
  const ours = new Set<string>(OUR_WEBHOOK_NAMES);
  return (configuration?.webhooks ?? []).map((w) => w.name).filter((n) => ours.has(n));
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
