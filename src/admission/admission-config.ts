/**
 * The admin's admission configuration: the `admission` section of the operator configuration.
 * Its schema lives with admission (one home); config/operator-config.ts composes it into the
 * whole file, so config imports admission and never the other way round.
 */
import * as z from 'zod';
import { namespaceNameSchema } from '../api/common.js';
import { allowEntrySchema } from './allow-list.js';

export const admissionModeSchema = z.enum(['enforce', 'warn', 'audit']).meta({
  description:
    'enforce: deny objects with images from sources not allowed; warn: admit them with a warning kubectl prints; audit: admit them and record audit annotations.',
});
export type AdmissionMode = z.infer<typeof admissionModeSchema>;

/** How strict a mode is: a rule that may only tighten may only move up this order. */
export const MODE_STRICTNESS: Record<AdmissionMode, number> = { audit: 0, warn: 1, enforce: 2 };

/** `registry.team-a.example.com`, `registry.example.com:5000` or `*.registry.example.com` (one leading wildcard label). */
const hostPatternSchema = z
  .string()
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(:[0-9]{1,5})?$/, 'must be a lowercase host name with an optional :port, or *.domain for every host below domain');

export const registrySourcesConfigSchema = z
  .strictObject({
    clusterWideNamespaces: z.array(namespaceNameSchema).default([]).meta({
      description:
        'Namespaces whose Registries are admissible in every namespace (their in-cluster endpoint and their mapped hostnames). ' +
        'A Registry elsewhere is admissible only in its own namespace.',
    }),
    hostnames: z
      .array(
        z.strictObject({
          pattern: hostPatternSchema.meta({ description: 'A host (registry.team-a.example.com) or *.domain pattern.' }),
          namespace: namespaceNameSchema.meta({ description: 'The one namespace whose Registries may claim hosts that match pattern.' }),
        }),
      )
      .default([])
      .meta({
        description:
          "Which namespace's Registries may claim which spec.hostnames for admission. A hostname no pattern maps to the Registry's namespace is ignored " +
          '(the Registry says so in its AdmissionSources condition). Public registries (docker.io, ghcr.io, quay.io …) can never be claimed.',
      }),
  })
  .meta({ description: 'How Registries feed the allow list: by default each Registry is admissible in its own namespace, by its in-cluster endpoint only.' });
export type RegistrySourcesConfig = z.output<typeof registrySourcesConfigSchema>;

export const namespaceRuleSchema = z
  .strictObject({
    names: z.array(namespaceNameSchema).min(1).optional().meta({
      description: 'Namespaces this rule applies to, by name (the kubernetes.io/metadata.name label, which only the apiserver sets). Required for anything that loosens.',
    }),
    matchLabels: z.record(z.string(), z.string()).optional().meta({
      description:
        'Namespaces this rule applies to, by labels. Labels a tenant can edit on their own namespace are not a security boundary, so a rule selected by labels may only tighten: ' +
        'no allowedRegistries, and no mode milder than admission.mode.',
    }),
    allowedRegistries: z.array(allowEntrySchema).default([]).meta({ description: 'Extra allowed sources (hosts, paths, exact images) in these namespaces.' }),
    mode: admissionModeSchema.optional().meta({ description: 'The mode in these namespaces. Milder than admission.mode only in a rule selected by names.' }),
    requireDigest: z.boolean().default(false).meta({ description: 'Deny images not pinned by digest (image@sha256:…).' }),
    denyLatest: z.boolean().default(false).meta({ description: 'Deny images tagged latest or written without a tag or digest (which means latest).' }),
  })
  .superRefine((rule, ctx) => {
    if ((rule.names === undefined) === (rule.matchLabels === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of names or matchLabels' });
    }
    if (rule.matchLabels !== undefined && rule.allowedRegistries.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowedRegistries'],
        message: 'a rule selected by matchLabels may only tighten: a tenant can label their own namespace. Select the namespaces by names to allow more',
      });
    }
  });
export type NamespaceRule = z.output<typeof namespaceRuleSchema>;

export const webhookServerConfigSchema = z.strictObject({
  host: z.string().default('0.0.0.0').meta({ description: 'Address the webhook server listens on.' }),
  port: z.number().int().min(1).max(65535).default(9443).meta({ description: 'HTTPS port of the webhook server.' }),
  certFile: z.string().min(1).optional().meta({
    description: 'Serving certificate (PEM) to use instead of the operator-managed one, e.g. mounted from a cert-manager Secret; reloaded when it changes.',
  }),
  keyFile: z.string().min(1).optional().meta({ description: 'Private key (PEM) of certFile.' }),
  // The apiserver accepts objects up to 3 MiB and an AdmissionReview carries object and oldObject.
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .default(7 * 1024 * 1024)
    .meta({ description: 'Largest AdmissionReview body accepted; larger ones get 413.' }),
  serviceName: z.string().min(1).default('dockmaster-webhook').meta({ description: 'Name of the Service in front of the webhook (the serving certificate names <service>.<namespace>.svc).' }),
  enabled: z.boolean().optional().meta({
    description: 'Run the webhook inside `dockmaster operator`. Default: only in a cluster with in-cluster credentials (KUBERNETES_SERVICE_HOST set, no --kubeconfig).',
  }),
  register: z.boolean().default(true).meta({ description: 'Manage the ValidatingWebhookConfiguration (the leader applies it with the current caBundle).' }),
  patchCaBundleOnly: z.boolean().default(false).meta({
    description:
      'The ValidatingWebhookConfiguration is installed as a manifest (deploy/, the Helm chart): the leader only patches its caBundle by name and never creates it, ' +
      'so RBAC needs no create on validatingwebhookconfigurations.',
  }),
  configurationName: z.string().min(1).default('dockmaster-image-sources').meta({ description: 'Name of the ValidatingWebhookConfiguration.' }),
  url: z.url({ protocol: /^https$/ }).optional().meta({
    description: 'clientConfig.url (https://host:port/validate) for a webhook outside the cluster; default: clientConfig.service with serviceName.',
  }),
  servicePort: z.number().int().min(1).max(65535).default(443).meta({ description: 'Port of the Service named serviceName.' }),
  failurePolicy: z.enum(['Fail', 'Ignore']).default('Fail').meta({
    description: 'Fail: nothing is admitted while the webhook is unreachable (fail closed). Ignore: everything is, unchecked.',
  }),
  timeoutSeconds: z.number().int().min(1).max(30).default(5).meta({ description: 'How long the apiserver waits for an answer.' }),
  matchNamespaceLabels: z.record(z.string(), z.string()).optional().meta({
    description: 'Check only namespaces carrying all these labels (a staged roll-out); exempt namespaces stay exempt.',
  }),
  certificate: z
    .strictObject({
      source: z.enum(['operator', 'secret']).default('operator').meta({
        description: 'operator: the operator keeps its own CA and serving certificate in secretName; secret: read secretName (e.g. issued by cert-manager) and only load it.',
      }),
      secretName: z.string().min(1).default('dockmaster-webhook-tls').meta({ description: 'Secret in the operator namespace holding tls.crt, tls.key and ca.crt.' }),
    })
    .prefault({})
    .meta({ description: 'Where the serving certificate comes from when certFile/keyFile are not set.' }),
});
export type WebhookServerConfig = z.output<typeof webhookServerConfigSchema>;

export const admissionConfigSchema = z
  .strictObject({
    mode: admissionModeSchema.default('enforce'),
    allowedRegistries: z.array(allowEntrySchema).default([]).meta({
      description:
        'Allowed image sources besides Registries with admission.allowed: hosts (registry.example.com:5000, [::1]:5000), repository paths (docker.io/library) or subtrees (ghcr.io/acme/*).',
    }),
    exemptNamespaces: z.array(namespaceNameSchema).default(['kube-system']).meta({
      description: "Namespaces never blocked, by name. The operator's own namespace is always exempt, so the webhook's own pods can start.",
    }),
    registries: registrySourcesConfigSchema.prefault({}),
    namespaces: z.array(namespaceRuleSchema).default([]).meta({
      description: 'Per-namespace rules: extra allowed sources, a mode, requireDigest and denyLatest. Every matching rule applies; the strictest mode wins among those that may set it.',
    }),
    webhook: webhookServerConfigSchema.prefault({}),
  })
  .superRefine((value, ctx) => {
    if ((value.webhook.certFile === undefined) !== (value.webhook.keyFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['webhook', value.webhook.certFile ? 'keyFile' : 'certFile'], message: 'certFile and keyFile go together' });
    }
    value.namespaces.forEach((rule, index) => {
      if (rule.matchLabels !== undefined && rule.mode !== undefined && MODE_STRICTNESS[rule.mode] < MODE_STRICTNESS[value.mode]) {
        ctx.addIssue({
          code: 'custom',
          path: ['namespaces', index, 'mode'],
          message: `a rule selected by matchLabels may only tighten: ${rule.mode} is milder than admission.mode ${value.mode}. Select the namespaces by names to relax the mode`,
        });
      }
    });
  });
export type AdmissionConfig = z.output<typeof admissionConfigSchema>;

/** What admission reads of the operator configuration: its own section and the operator's namespace. */
export interface AdmissionSettings {
  namespace: string;
  admission: AdmissionConfig;
}
