import type { KubernetesObject, V1Deployment, V1PersistentVolumeClaim, V1PodList, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Registry, ResolvedRegistrySpec } from '../../api/registry.js';
import { DEFAULT_REGISTRY_IMAGE } from '../../api/registry-image-default.js';
import type { ReconcileContext, ReconcileOutcome, ReconcileRequest } from '../../runtime/controller.js';
import { apiErrorDetail, apiErrorStatus } from '../../runtime/kube-client.js';
import { readNamedSecrets, type SecretLookup } from '../../runtime/named-secrets.js';
import { formatLabelSelector } from '../../runtime/label-selector.js';
import { collectionPath, objectPath, RESOURCES, type KubeResource } from '../../runtime/resources.js';
import { applyChild, ChildRejectedError, type RejectedApplies } from './child-apply.js';
import { NameConflictError } from '../../runtime/ownership.js';
import { registryChildNames, registrySelectorLabels, type RegistryIdentity } from '../../managed-registry/children.js';
import { podFailureSummary } from './pod-failures.js';
import { cleanUpRegistryChildren, REGISTRY_FINALIZER, writeFinalizers } from './cleanup.js';
import { buildConfigMap, buildRegistryConfig } from '../../managed-registry/config.js';
import { computeConfigHash } from '../../managed-registry/config-hash.js';
import { buildDeployment, REGISTRY_CONTAINER_NAME } from '../../managed-registry/deployment.js';
import type { EndpointResolver, ProbeResult } from './endpoint-probe.js';
import { buildHttpSecret, HTTP_SECRET_KEY } from '../../managed-registry/http-secret.js';
import { NOTIFICATIONS_TOKEN_KEY } from '../../managed-registry/notifications.js';
import { storageDriverFor } from '../../managed-registry/storage/index.js';
import { downgradeRefusal } from '../../managed-registry/image-advisory.js';
import { imageOfDeployment, resolveRegistryImage } from '../../managed-registry/registry-image.js';
import { nodeAddressOf, serviceViewOf } from '../../node-access/runtime-config.js';
import { readRegistrySpec, wantsReadOnly } from '../../managed-registry/registry-spec.js';
import { buildService, registryEndpoint, registryUrl } from '../../managed-registry/service.js';
import { buildPodDisruptionBudget } from '../../managed-registry/pod-disruption-budget.js';
import { findSpecProblems, referencedSecretNames, type SpecProblem } from '../../managed-registry/spec-problems.js';
import type { ConditionInput } from '../../runtime/conditions.js';
import { mirrorProblems, proxyCredentialsOf, type MirrorPolicy, type ProxyCredentials } from '../../managed-registry/mirror.js';
import type { UpstreamProbe } from './upstream-probe.js';
import { stepPullCanary, type PullCanaryDeps } from './pull-canary-step.js';
import { computeRegistryStatus, registryStatusPatch, type ObservedRegistryState, type RegistryCondition, type RegistryStatus } from './status.js';
import * as C from '../../api/registry-conditions.js';
import type { RegistrySourcesConfig } from '../../admission/admission-config.js';
import { admissionSourcesCondition, type HostnameClaims } from './admission-sources.js';

export interface RegistryReconcilerOptions {
  /** Where the `/v2/` check goes; undefined disables the check (Ready then rests on availability). */
  resolveEndpoint?: EndpointResolver;
  probe?: (url: string) => Promise<ProbeResult>;
  /** How often a Ready registry's `/v2/` is checked again. */
  probeIntervalMs?: number;
  /** Memory of refused applies, one per controller instance. */
  rejectedApplies: RejectedApplies;
  /** The admin's `admission.registries` section: how Registries feed the allow list (AdmissionSources condition). */
  admissionSources?: RegistrySourcesConfig;
  /** Which Registries claim which hostnames, so a conflict wakes every claimant. */
  hostnameClaims?: HostnameClaims;
  /** The image of a new Registry without spec.image (config registries.defaultImage). */
  defaultImage?: string;
  /** The admin's rules for mirrors (spec.proxy): anonymous mirrors with credentials, outbound hosts. */
  mirrorPolicy?: MirrorPolicy;
  /** Checks a mirror's upstream; undefined: not checked (no UpstreamReachable condition). */
  probeUpstream?: UpstreamProbe;
  /** Pull tracking (config pullTracking.receiverURL): where registries send their pull events. */
  pullTracking?: { receiverURL: string };
  /** With pull tracking: pulls a small image from every pod and checks the events arrive. */
  pullCanary?: PullCanaryDeps;
}

const DEFAULT_PROBE_INTERVAL_MS = 60_000;
/** After a failed probe, look again soon: a registry just started often needs a moment. */
const PROBE_RETRY_MS = 5_000;
/** How soon a Registry waiting for a Secret (missing, or without the key it needs) reads it again. */
const SECRET_RETRY_MS = 10_000;

/** The one level-based reconcile of a Registry: fetch, finalize, ensure children, write status. */
export async function reconcileRegistry(
  request: ReconcileRequest,
  ctx: ReconcileContext,
  options: RegistryReconcilerOptions,
): Promise<ReconcileOutcome> {
  const registry = ctx.cache<Registry & KubernetesObject>(RESOURCES.registry).get(request.namespace, request.name);
  if (!registry) {
    options.hostnameClaims?.set(request.key, []);
    options.pullCanary?.canary.forget(request.namespace, request.name);
    return {};
  }
  const names = registryChildNames(request.name);
  const finalizers = registry.metadata?.finalizers ?? [];

  if (registry.metadata?.deletionTimestamp) {
    if (!finalizers.includes(REGISTRY_FINALIZER)) return {};
    const livePvc = ctx.cache<V1PersistentVolumeClaim>(RESOURCES.persistentVolumeClaim).get(request.namespace, names.pvc);
    const { pvcKept } = await cleanUpRegistryChildren(ctx.kube, registry, livePvc);
    await writeFinalizers(ctx.kube, registry, finalizers.filter((f) => f !== REGISTRY_FINALIZER));
    ctx.log.info({ pvcKept }, 'Cleaned up registry children');
    return {};
  }
  if (!finalizers.includes(REGISTRY_FINALIZER)) {
    await writeFinalizers(ctx.kube, registry, [...finalizers, REGISTRY_FINALIZER]);
    // The finalizer write wakes us again with a fresh object; continue there.
    return {};
  }

  const owner: RegistryIdentity = { name: request.name, namespace: request.namespace, uid: registry.metadata?.uid ?? '' };
  const parsed = readRegistrySpec(registry);
  // What runs on the storage now: a Registry without spec.image keeps it (registry-image.ts), and
  // a 3.x registry is never rolled back to 2.x by accident.
  const running = imageOfDeployment(ctx.cache<V1Deployment>(RESOURCES.deployment).get(request.namespace, names.deployment));
  const spec: ResolvedRegistrySpec | undefined = parsed.spec && { ...parsed.spec, image: resolveRegistryImage(parsed.spec.image, running, options.defaultImage ?? DEFAULT_REGISTRY_IMAGE).image };
  // The user's Secrets this spec names and our own http Secret, read now (never cached).
  const lookupSecret = await readNamedSecrets(ctx.kube, request.namespace, spec ? [...referencedSecretNames(spec), names.httpSecret] : []);
  const problems: SpecProblem[] = [
    ...parsed.problems,
    ...(spec ? findSpecProblems(spec, lookupSecret) : []),
    ...(spec ? mirrorProblems(spec, options.mirrorPolicy ?? { anonymousMirrorsWithCredentials: false }) : []),
  ];
  // A mirror's upstream credentials, in whichever form its Secret has them (mirror.ts).
  const credentialsSecret = spec?.proxy?.credentialsSecret ? lookupSecret(spec.proxy.credentialsSecret) : undefined;
  const proxyCredentials = spec?.proxy && credentialsSecret ? proxyCredentialsOf(credentialsSecret, spec.proxy.remoteURL) : undefined;
  if (proxyCredentials && 'problem' in proxyCredentials) problems.push({ reason: C.REASON_SECRET_INVALID, message: proxyCredentials.problem });
  const upstreamCredentials = proxyCredentials && !('problem' in proxyCredentials) ? proxyCredentials : undefined;
  const downgrade = spec ? downgradeRefusal(spec.image, running, registry.metadata?.annotations) : undefined;
  if (downgrade) problems.push({ reason: C.REASON_DOWNGRADE_REFUSED, message: downgrade });
  const endpoint = spec ? registryEndpoint(owner, spec) : '';
  const readOnly = wantsReadOnly(registry);

  let applyError: string | undefined;
  let retrying: ChildFailures['retrying'] = [];
  if (spec && problems.length === 0) {
    const failures = await ensureChildren(ctx, owner, spec, readOnly, lookupSecret, options.rejectedApplies, options.pullTracking, upstreamCredentials);
    if (failures.rejections.length > 0) applyError = `${failures.rejections.join(' ')} Fix spec to something the apiserver accepts.`;
    retrying = failures.retrying;
    for (const message of failures.conflicts) problems.push({ reason: C.REASON_NAME_CONFLICT, message });
  }
  const applyRetrying = retrying.length > 0
    ? `${retrying.map((r) => r.message).join(' ')} Retrying with backoff; if it persists, check the apiserver (kubectl get --raw /readyz) and its logs.`
    : undefined;

  const deployment = ctx.cache<V1Deployment>(RESOURCES.deployment).get(request.namespace, names.deployment);
  // Pods are listed only while some exist and not all are available: before the Deployment
  // controller made any there is nothing to explain, and the list would be a wasted request.
  const podsToExplain = deployment !== undefined && (deployment.status?.replicas ?? 0) > 0 && (deployment.status?.availableReplicas ?? 0) < (spec?.replicas ?? 0);
  const podFailure = spec && podsToExplain ? await failingPod(ctx, owner) : undefined;
  let probe: ProbeResult | undefined;
  if (spec && options.resolveEndpoint && options.probe && (deployment?.status?.availableReplicas ?? 0) > 0) {
    const target = options.resolveEndpoint(registryUrl(endpoint, spec), deployment);
    probe = target ? await options.probe(target) : { ok: false, message: 'no address to reach the registry' };
    // A mirror's pulls are not tracked (its content goes by TTL).
    if (probe.ok && target && options.pullCanary && options.pullTracking && !spec.proxy && problems.length === 0) {
      await stepPullCanary(ctx, registry, spec, target, lookupSecret, options.pullCanary);
    }
  }
  const upstream = spec?.proxy && problems.length === 0 && options.probeUpstream ? await checkUpstream(spec.proxy, upstreamCredentials, options.probeUpstream) : undefined;
  if (upstream?.problem) problems.push(upstream.problem);
  options.hostnameClaims?.set(request.key, registry.spec?.hostnames);
  const allRegistries = ctx.cache<Registry & KubernetesObject>(RESOURCES.registry).list();
  const admission = admissionSourcesCondition(registry, allRegistries, options.admissionSources);
  const observed: ObservedRegistryState = {
    deployment, problems, readOnly, endpoint, admission, ...(podFailure ? { podFailure } : {}), ...(spec && { image: spec.image }),
    ...(spec && { nodeAddress: nodeAddressFor(spec, ctx.cache<V1Service>(RESOURCES.service).get(request.namespace, names.service)) }),
    ...(applyError ? { applyError } : {}), ...(applyRetrying ? { applyRetrying } : {}), ...(probe ? { probe } : {}),
    ...(upstream ? { upstream: upstream.condition } : {}),
  };
  const next = computeRegistryStatus(registry, observed, names.deployment, new Date(ctx.clock.now()));
  const statusPatch = registryStatusPatch(registry.status, next);
  if (statusPatch) {
    try {
      await ctx.kube.requestJson('PATCH', objectPath(RESOURCES.registry, request.namespace, request.name, 'status'), {
        body: statusPatch,
        contentType: 'application/merge-patch+json',
      });
      ctx.log.info({ conditions: next.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`) }, 'Updated registry status');
      announceTransitions(ctx, registry, next);
    } catch (error) {
      // With a child failing, the status write is best effort: the child's error is the one to retry on.
      if (retrying.length === 0) throw error;
      ctx.log.debug({ err: error }, 'Status write failed while a child apply is being retried');
    }
  }
  // The queue's backoff retries the failed child; the status already tells the user why.
  const [firstRetrying] = retrying;
  if (firstRetrying) throw firstRetrying.error;
  // Secrets are not watched (runtime/named-secrets.ts): one that is missing or lacks a key is looked for again soon.
  const waitingForSecret = problems.some((p) => p.reason === C.REASON_SECRET_MISSING || p.reason === C.REASON_SECRET_INVALID);
  if (waitingForSecret) return { requeueAfterMs: SECRET_RETRY_MS };
  // An unreachable upstream or refused credentials are looked at again soon; a healthy one at the probe interval.
  if (upstream && upstream.condition.status !== 'True') return { requeueAfterMs: PROBE_RETRY_MS };
  if (probe) return { requeueAfterMs: probe.ok ? options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS : PROBE_RETRY_MS };
  return {};
}

/** The mirror's upstream with its credentials: the UpstreamReachable condition, and a problem when they are refused. */
async function checkUpstream(
  proxy: NonNullable<ResolvedRegistrySpec['proxy']>,
  credentials: ProxyCredentials | undefined,
  probeUpstream: UpstreamProbe,
): Promise<{ condition: ConditionInput; problem?: SpecProblem }> {
  const result = await probeUpstream(proxy.remoteURL, credentials);
  const ok = result.reachable && !result.credentialsRejected;
  const reason = result.credentialsRejected ? C.REASON_UPSTREAM_CREDENTIALS_REJECTED : ok ? C.REASON_UPSTREAM_REACHABLE : C.REASON_UPSTREAM_UNREACHABLE;
  const condition: ConditionInput = { type: C.CONDITION_UPSTREAM_REACHABLE, status: ok ? 'True' : 'False', reason, message: result.message };
  if (!result.credentialsRejected) return { condition };
  const fix = `Fix the username and password keys of Secret "${proxy.credentialsSecret ?? ''}" (a token works as the password on most registries); the mirror serves only what it cached until then.`;
  return { condition, problem: { reason: C.REASON_UPSTREAM_CREDENTIALS_REJECTED, message: `${result.message} ${fix}` } };
}

/** Why a registry pod is failing, read only while replicas are unavailable (pods are not cached). */
async function failingPod(ctx: ReconcileContext, owner: RegistryIdentity): Promise<string | undefined> {
  try {
    const pods = await ctx.kube.requestJson<V1PodList>('GET', collectionPath(RESOURCES.pod, owner.namespace), { query: { labelSelector: formatLabelSelector(registrySelectorLabels(owner.name)) } });
    return podFailureSummary(pods.items, REGISTRY_CONTAINER_NAME);
  } catch (error) {
    ctx.log.debug({ err: error }, 'Could not list the registry pods');
    return undefined;
  }
}

interface ChildFailures {
  /** Messages of children whose names are taken by objects this Registry does not control. */
  conflicts: string[];
  /** Messages of children the apiserver refused as objects (not retried until the spec changes). */
  rejections: string[];
  /** Children that failed for any other reason, retried with the queue's backoff. */
  retrying: Array<{ error: unknown; message: string }>;
}

/** Where nodes can pull from, if anywhere (node-access/runtime-config.ts). */
function nodeAddressFor(spec: ResolvedRegistrySpec, service: V1Service | undefined): string | undefined {
  return nodeAddressOf(spec.hostnames, serviceViewOf(service)).address;
}

async function ensureChildren(
  ctx: ReconcileContext,
  owner: RegistryIdentity,
  spec: ResolvedRegistrySpec,
  readOnly: boolean,
  lookupSecret: SecretLookup,
  rejectedApplies: RejectedApplies,
  pullTracking: { receiverURL: string } | undefined,
  proxyCredentials: ProxyCredentials | undefined,
): Promise<ChildFailures> {
  const names = registryChildNames(owner.name);
  // Each child is applied on its own: a PVC the apiserver refuses to resize must not hold
  // back an auth change in the Deployment, nor a full Service IP range the other children.
  const failures: ChildFailures = { conflicts: [], rejections: [], retrying: [] };
  const apply = async (resource: KubeResource, desired: KubernetesObject, live: KubernetesObject | undefined): Promise<void> => {
    try {
      if (await applyChild(ctx.kube, resource, desired, live, rejectedApplies)) {
        ctx.log.info({ kind: resource.kind, child: desired.metadata?.name }, 'Applied child');
      }
    } catch (error) {
      if (error instanceof ChildRejectedError) {
        failures.rejections.push(error.message);
        return;
      }
      if (error instanceof NameConflictError) {
        failures.conflicts.push(error.message);
        return;
      }
      const status = apiErrorStatus(error);
      const how = status === undefined ? '' : `HTTP ${status}: `;
      failures.retrying.push({ error, message: `Applying ${resource.kind} ${desired.metadata?.name ?? ''} failed (${how}${apiErrorDetail(error)}).` });
    }
  };
  const cached = <T extends KubernetesObject>(resource: typeof RESOURCES[keyof typeof RESOURCES], name: string): T | undefined =>
    ctx.cache<T>(resource).get(owner.namespace, name);

  const liveHttpSecret = lookupSecret(names.httpSecret);
  // A mirror drops content by TTL, not retention: its pulls are not tracked.
  const tracking = pullTracking && !spec.proxy ? { receiverURL: pullTracking.receiverURL, existingToken: liveHttpSecret?.data?.[NOTIFICATIONS_TOKEN_KEY] } : undefined;
  const httpSecret = buildHttpSecret(owner, names.httpSecret, liveHttpSecret?.data?.[HTTP_SECRET_KEY], undefined, tracking, proxyCredentials);
  await apply(RESOURCES.secret, httpSecret, liveHttpSecret);

  const configText = buildRegistryConfig(spec, { realm: owner.name, readOnly });
  await apply(RESOURCES.configMap, buildConfigMap(owner, names.configMap, configText), cached(RESOURCES.configMap, names.configMap));

  const pvc = storageDriverFor(spec).buildChild?.(owner, names, spec);
  if (pvc) await apply(RESOURCES.persistentVolumeClaim, pvc, cached(RESOURCES.persistentVolumeClaim, names.pvc));

  await apply(RESOURCES.service, buildService(owner, names.service, spec), cached(RESOURCES.service, names.service));
  await apply(RESOURCES.podDisruptionBudget, buildPodDisruptionBudget(owner, names.podDisruptionBudget), cached(RESOURCES.podDisruptionBudget, names.podDisruptionBudget));

  const mounted = [httpSecret, ...referencedSecretNames(spec).map(lookupSecret)]
    .filter((s): s is V1Secret => s !== undefined)
    .map((s) => ({ name: s.metadata?.name ?? '', data: s.data }));
  const configHash = computeConfigHash(configText, mounted);
  const deployment = buildDeployment(owner, spec, { names, configHash, pullTracking: tracking !== undefined });
  await apply(RESOURCES.deployment, deployment, cached(RESOURCES.deployment, names.deployment));
  return failures;
}


/** Events only when a condition flips (or Degraded says something new), so a registry that stays broken stops writing. */
function announceTransitions(ctx: ReconcileContext, registry: Registry & KubernetesObject, next: RegistryStatus): void {
  const find = (status: RegistryStatus | undefined, type: string): RegistryCondition | undefined => status?.conditions?.find((c) => c.type === type);
  const degradedBefore = find(registry.status, C.CONDITION_DEGRADED);
  const degraded = find(next, C.CONDITION_DEGRADED);
  if (degraded?.status === 'True' && (degradedBefore?.status !== 'True' || degradedBefore.message !== degraded.message)) {
    ctx.events.record(registry, 'Warning', degraded.reason, degraded.message);
  }
  const ready = find(next, C.CONDITION_READY);
  if (ready?.status === 'True' && find(registry.status, C.CONDITION_READY)?.status !== 'True') {
    ctx.events.record(registry, 'Normal', C.REASON_AVAILABLE, ready.message);
  }
}
