import type { AdmissionSettings } from '../admission-config.js';
import { exemptNamespacesOf } from '../policy.js';
import type { WebhookConfigurationSettings } from './webhook-registration.js';

/** The ValidatingWebhookConfiguration's settings from the admin's configuration (without its caBundle). */
export function webhookConfigurationSpecFor(config: AdmissionSettings): WebhookConfigurationSettings {
  const webhook = config.admission.webhook;
  return {
    name: webhook.configurationName,
    ...(webhook.url ? { url: webhook.url } : { service: { namespace: config.namespace, name: webhook.serviceName, port: webhook.servicePort } }),
    failurePolicy: webhook.failurePolicy,
    timeoutSeconds: webhook.timeoutSeconds,
    exemptNamespaces: exemptNamespacesOf(config.admission.exemptNamespaces, config.namespace),
    ...(webhook.matchNamespaceLabels && { matchNamespaceLabels: webhook.matchNamespaceLabels }),
  };
}

/**
 * Whether `dockmaster operator` runs the webhook: as configured, else only when it runs in a
 * cluster with the in-cluster credentials. Out of a cluster the apiserver cannot reach this
 * process through the Service, and registering a failurePolicy Fail webhook it cannot reach
 * would block every Pod in the cluster. An explicit --kubeconfig counts as out of cluster, even
 * in a pod (a CI runner driving a test apiserver).
 */
export function webhookEnabledInOperator(config: AdmissionSettings, runtime: { kubeconfigFlag: boolean; env: NodeJS.ProcessEnv }): boolean {
  return config.admission.webhook.enabled ?? (!runtime.kubeconfigFlag && Boolean(runtime.env.KUBERNETES_SERVICE_HOST));
}
