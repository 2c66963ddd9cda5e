import { MODE_STRICTNESS, type AdmissionConfig, type AdmissionMode, type NamespaceRule } from './admission-config.js';
import { AllowEntryError, parseAllowEntry, type AllowEntry } from './allow-list.js';
import { registryAdmissionSources, type RegistryAdmissionSource, type RegistryForAdmission } from './registry-sources.js';

export type { RegistryAdmissionSource } from './registry-sources.js';

/** An entry of a Registry that could not be used; the rest of the list still applies. */
export interface AllowListProblem {
  origin: string;
  entry: string;
  message: string;
}

/** A namespace rule of the configuration, with its entries parsed. */
export interface CompiledNamespaceRule {
  names?: ReadonlySet<string>;
  matchLabels?: Readonly<Record<string, string>>;
  allowList: readonly AllowEntry[];
  mode?: AdmissionMode;
  requireDigest: boolean;
  denyLatest: boolean;
}

/** What one namespace is judged by: the pieces of the policy that apply there, merged. */
export interface NamespacePolicy {
  mode: AdmissionMode;
  allowList: readonly AllowEntry[];
  requireDigest: boolean;
  denyLatest: boolean;
}

/** Everything a decision needs; immutable, replaced as a whole when an input changes. */
export interface AdmissionPolicy {
  /** The mode where no namespace rule sets one. */
  mode: AdmissionMode;
  /** Entries that apply in every namespace: the configuration's and cluster-wide Registries'. */
  allowList: readonly AllowEntry[];
  exemptNamespaces: ReadonlySet<string>;
  /** Entries of Registries admissible only in their own namespace, by namespace. */
  namespaceAllowLists: ReadonlyMap<string, readonly AllowEntry[]>;
  namespaceRules: readonly CompiledNamespaceRule[];
  /** Merged per namespace and labels, so each namespace's allow list is one stable array (the verdict cache keys on it). */
  readonly resolved: Map<string, NamespacePolicy>;
}

type PolicyConfig = Pick<AdmissionConfig, 'mode' | 'allowedRegistries' | 'exemptNamespaces'> & Partial<Pick<AdmissionConfig, 'namespaces' | 'registries'>>;

/**
 * The allow list entries of the configuration and of the Registries: the configuration's and
 * cluster-wide Registries' entries apply everywhere, the others in their Registry's namespace.
 * Configuration entries were validated with the config; a Registry's bad hostname is reported
 * as a problem and skipped, so one bad Registry never empties the list.
 */
export function buildAllowList(
  configEntries: readonly string[],
  registries: readonly RegistryAdmissionSource[],
): { entries: AllowEntry[]; byNamespace: Map<string, AllowEntry[]>; problems: AllowListProblem[] } {
  const entries: AllowEntry[] = configEntries.map((text) => parseAllowEntry(text, 'operator configuration'));
  const byNamespace = new Map<string, AllowEntry[]>();
  const problems: AllowListProblem[] = [];
  for (const source of registries) {
    const origin = `Registry ${source.registry}`;
    const target = source.clusterWide ? entries : byNamespace.get(source.namespace) ?? [];
    for (const text of [...source.hostnames, source.endpoint]) {
      try {
        target.push(parseAllowEntry(text, origin));
      } catch (error) {
        if (!(error instanceof AllowEntryError)) throw error;
        problems.push({ origin, entry: text, message: error.message });
      }
    }
    if (!source.clusterWide && target.length > 0) byNamespace.set(source.namespace, target);
  }
  return { entries, byNamespace, problems };
}

/**
 * The namespaces admission never blocks: the configured ones and the operator's own, always, so
 * the webhook's own pods can start. The one home of that rule: the policy and the webhook
 * configuration's namespaceSelector both read it from here.
 */
export function exemptNamespacesOf(configured: readonly string[], operatorNamespace: string): string[] {
  return [...new Set([...configured, operatorNamespace])];
}

function compileRule(rule: NamespaceRule, index: number): CompiledNamespaceRule {
  return {
    ...(rule.names && { names: new Set(rule.names) }),
    ...(rule.matchLabels && { matchLabels: rule.matchLabels }),
    allowList: rule.allowedRegistries.map((text) => parseAllowEntry(text, `operator configuration admission.namespaces[${index}]`)),
    ...(rule.mode && { mode: rule.mode }),
    requireDigest: rule.requireDigest,
    denyLatest: rule.denyLatest,
  };
}

/** Builds the policy; the operator's own namespace is always exempt so the webhook's pods can start. */
export function buildAdmissionPolicy(
  admission: PolicyConfig,
  operatorNamespace: string,
  registries: readonly RegistryAdmissionSource[] = [],
): { policy: AdmissionPolicy; problems: AllowListProblem[] } {
  const { entries, byNamespace, problems } = buildAllowList(admission.allowedRegistries, registries);
  return {
    policy: {
      mode: admission.mode,
      allowList: entries,
      exemptNamespaces: new Set(exemptNamespacesOf(admission.exemptNamespaces, operatorNamespace)),
      namespaceAllowLists: byNamespace,
      namespaceRules: (admission.namespaces ?? []).map(compileRule),
      resolved: new Map(),
    },
    problems,
  };
}

function ruleSelects(rule: CompiledNamespaceRule, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  if (rule.names) return rule.names.has(namespace);
  return Object.entries(rule.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** Past this many namespace and label combinations, start over (a bound: a miss only re-merges). */
const RESOLVED_MAX = 4096;

/**
 * The policy of one namespace. Rules selected by name may loosen (extra entries, a milder mode);
 * rules selected by labels only tighten (the config schema refuses anything else), because a
 * tenant can label their own namespace. Among rules that set a mode, the strictest wins; with
 * none, the global mode applies. requireDigest and denyLatest apply when any rule sets them.
 */
export function namespacePolicy(policy: AdmissionPolicy, namespace: string, labels: Readonly<Record<string, string>> = {}): NamespacePolicy {
  const matched = policy.namespaceRules.filter((rule) => ruleSelects(rule, namespace, labels));
  const key = `${namespace}\0${matched.map((rule) => policy.namespaceRules.indexOf(rule)).join(',')}`;
  const cached = policy.resolved.get(key);
  if (cached) return cached;
  const byName = matched.filter((rule) => rule.names && rule.mode);
  const byLabels = matched.filter((rule) => !rule.names && rule.mode);
  const strictest = (modes: AdmissionMode[]): AdmissionMode | undefined =>
    modes.reduce<AdmissionMode | undefined>((a, b) => (a === undefined || MODE_STRICTNESS[b] > MODE_STRICTNESS[a] ? b : a), undefined);
  const base = strictest(byName.map((rule) => rule.mode!)) ?? policy.mode;
  const mode = strictest([base, ...byLabels.map((rule) => rule.mode!)]) ?? base;
  const scoped = policy.namespaceAllowLists.get(namespace) ?? [];
  const extra = matched.flatMap((rule) => rule.allowList);
  const resolved: NamespacePolicy = {
    mode,
    allowList: scoped.length === 0 && extra.length === 0 ? policy.allowList : [...policy.allowList, ...scoped, ...extra],
    requireDigest: matched.some((rule) => rule.requireDigest),
    denyLatest: matched.some((rule) => rule.denyLatest),
  };
  if (policy.resolved.size >= RESOLVED_MAX) policy.resolved.clear();
  policy.resolved.set(key, resolved);
  return resolved;
}

/**
 * The current policy, swapped as a whole when the configuration or the set of Registries
 * changes, so a change takes effect on the next request without a restart. Readers call
 * `current()` per request and never hold on to the result.
 */
export class AdmissionPolicyHolder {
  private admission: PolicyConfig;
  private operatorNamespace: string;
  private registries: readonly RegistryAdmissionSource[] = [];
  /** The Registry objects the sources came from, when fed objects: a new configuration re-scopes them. */
  private registryObjects: readonly RegistryForAdmission[] | undefined;
  private policy: AdmissionPolicy;
  private lastProblems: AllowListProblem[];

  constructor(admission: PolicyConfig, operatorNamespace: string) {
    this.admission = admission;
    this.operatorNamespace = operatorNamespace;
    const built = buildAdmissionPolicy(admission, operatorNamespace);
    this.policy = built.policy;
    this.lastProblems = built.problems;
  }

  current(): AdmissionPolicy {
    return this.policy;
  }

  /** Problems of the Registry entries in the current policy (for the controller to report). */
  problems(): readonly AllowListProblem[] {
    return this.lastProblems;
  }

  /** A new operator configuration. */
  setConfig(admission: PolicyConfig, operatorNamespace = this.operatorNamespace): void {
    this.admission = admission;
    this.operatorNamespace = operatorNamespace;
    if (this.registryObjects) this.registries = registryAdmissionSources(this.registryObjects, admission.registries);
    this.rebuild();
  }

  /** The full current set of Registry objects; scoped by the configuration's `registries` section. */
  setRegistries(registries: readonly RegistryForAdmission[]): { sources: readonly RegistryAdmissionSource[]; problems: readonly AllowListProblem[] } {
    this.registryObjects = [...registries];
    const sources = registryAdmissionSources(this.registryObjects, this.admission.registries);
    return { sources, problems: this.setRegistrySources(sources) };
  }

  /** The full current set of allowed Registries (not a delta). Returns the problems found. */
  setRegistrySources(registries: readonly RegistryAdmissionSource[]): readonly AllowListProblem[] {
    this.registries = [...registries];
    this.rebuild();
    return this.lastProblems;
  }

  private rebuild(): void {
    const built = buildAdmissionPolicy(this.admission, this.operatorNamespace, this.registries);
    this.policy = built.policy;
    this.lastProblems = built.problems;
  }
}
