import type { KubernetesObject } from '@kubernetes/client-node';
import type { Registry, ResolvedRegistrySpec } from '../../api/registry.js';
import { PASSWORD_KEY, registryCaOf, secretValue, USERNAME_KEY } from '../../managed-registry/credentials.js';
import type { CanaryTarget, PullCanary } from '../../pull-tracking/canary.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import type { SecretLookup } from '../../runtime/named-secrets.js';

type RegistryObject = Registry & KubernetesObject;

/** Every registry pod's URL, or why not yet (the GC window controller's resolver, by pod IP). */
export type CanaryReplicaResolver = (registry: RegistryObject, ctx: ReconcileContext) => Promise<{ urls: string[] } | { pending: string }>;

export interface PullCanaryDeps {
  canary: PullCanary;
  resolveReplicas: CanaryReplicaResolver;
}

/**
 * The Registry's step of the pull canary (pull-tracking/canary.ts), after a successful probe of
 * a tracked Registry: its pods by IP, the login RetentionPolicies use (the htpasswd Secret's
 * username and password keys) and its CA. Never fails the reconcile: a canary that cannot run
 * leaves coverage to the silence rule, which keeps tags.
 */
export async function stepPullCanary(
  ctx: ReconcileContext,
  registry: RegistryObject,
  spec: ResolvedRegistrySpec,
  serviceUrl: string,
  lookupSecret: SecretLookup,
  deps: PullCanaryDeps,
): Promise<void> {
  try {
    const replicas = await deps.resolveReplicas(registry, ctx);
    if ('pending' in replicas) return;
    const target: CanaryTarget = { namespace: registry.metadata?.namespace ?? '', name: registry.metadata?.name ?? '', serviceUrl, replicaUrls: replicas.urls };
    const htpasswd = spec.auth?.htpasswdSecret ? lookupSecret(spec.auth.htpasswdSecret) : undefined;
    const username = htpasswd && secretValue(htpasswd, USERNAME_KEY);
    const password = htpasswd && secretValue(htpasswd, PASSWORD_KEY);
    if (username && password !== undefined) target.credentials = { username, password };
    const tls = spec.tls?.secretName ? lookupSecret(spec.tls.secretName) : undefined;
    const caPem = tls && registryCaOf(tls);
    if (caPem) target.caPem = caPem;
    const outcome = await deps.canary.step(target, ctx.kube);
    if (outcome.state === 'skipped') ctx.log.debug({ reason: outcome.reason }, 'Pull canary skipped');
  } catch (error) {
    ctx.log.warn({ err: error }, 'Pull canary step failed');
  }
}
