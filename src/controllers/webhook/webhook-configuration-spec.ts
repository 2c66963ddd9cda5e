import type { WebhookConfigurationSpec } from '../../admission/webhook-configuration.js';
import type { OperatorConfig } from '../../config/operator-config.js';

/** The ValidatingWebhookConfiguration's settings from the operator configuration (without its caBundle). */
export function webhookConfigurationSpecFor(config: OperatorConfig): Omit<WebhookConfigurationSpec, 'caBundlePems' | 'caBundlePublishedAt'> {
  const webhook = config.admission.webhook;
  return {
    name: webhook.configurationName,
    ...(webhook.url ? { url: webhook.url } : { service: { namespace: config.namespace, name: webhook.serviceName, port: webhook.servicePort } }),
    failurePolicy: webhook.failurePolicy,
    timeoutSeconds: webhook.timeoutSeconds,
    // The operator's own namespace is always exempt so the webhook's own pods can start.
    exemptNamespaces: [...new Set([...config.admission.exemptNamespaces, config.namespace])],
    ...(webhook.matchNamespaceLabels && { matchNamespaceLabels: webhook.matchNamespaceLabels }),
  };
}
