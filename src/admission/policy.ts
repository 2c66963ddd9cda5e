import type { AdmissionConfig, AdmissionMode } from './admission-config.js';
import { AllowEntryError, parseAllowEntry, type AllowEntry } from './allow-list.js';

/** What the Registry controller supplies for each Registry with `admission.allowed`. */
export interface RegistryAdmissionSource {
  /** `namespace/name` of the Registry, for messages. */
  registry: string;
  /** The user-facing hostnames (`registry.example.com`, `registry.example.com:5000`). */
  hostnames: readonly string[];
  /** The in-cluster endpoint, `<service>.<namespace>.svc:<port>`. */
  endpoint?: string;
}

/** An entry of a Registry that could not be used; the rest of the list still applies. */
export interface AllowListProblem {
  origin: string;
  entry: string;
  message: string;
}

/** Everything a decision needs; immutable, replaced as a whole when an input changes. */
export interface AdmissionPolicy {
  mode: AdmissionMode;
  allowList: readonly AllowEntry[];
  exemptNamespaces: ReadonlySet<string>;
}

/**
 * The allow list is the union of the configuration's entries and every allowed Registry's
 * hostnames and endpoint. Configuration entries were validated with the config; a Registry's
 * bad hostname is reported as a problem and skipped, so one bad Registry never empties the list.
 */
export function buildAllowList(
  configEntries: readonly string[],
  registries: readonly RegistryAdmissionSource[],
): { entries: AllowEntry[]; problems: AllowListProblem[] } {
  const entries: AllowEntry[] = configEntries.map((text) => parseAllowEntry(text, 'operator configuration'));
  const problems: AllowListProblem[] = [];
  for (const source of registries) {
    const origin = `Registry ${source.registry}`;
    const texts = [...source.hostnames, ...(source.endpoint ? [source.endpoint] : [])];
    for (const text of texts) {
      try {
        entries.push(parseAllowEntry(text, origin));
      } catch (error) {
        if (!(error instanceof AllowEntryError)) throw error;
        problems.push({ origin, entry: text, message: error.message });
      }
    }
  }
  return { entries, problems };
}

/**
 * The namespaces admission never blocks: the configured ones and the operator's own, always, so
 * the webhook's own pods can start. The one home of that rule: the policy and the webhook
 * configuration's namespaceSelector both read it from here.
 */
export function exemptNamespacesOf(configured: readonly string[], operatorNamespace: string): string[] {
  return [...new Set([...configured, operatorNamespace])];
}

/** Builds the policy; the operator's own namespace is always exempt so the webhook's pods can start. */
export function buildAdmissionPolicy(
  admission: Pick<AdmissionConfig, 'mode' | 'allowedRegistries' | 'exemptNamespaces'>,
  operatorNamespace: string,
  registries: readonly RegistryAdmissionSource[] = [],
): { policy: AdmissionPolicy; problems: AllowListProblem[] } {
  const { entries, problems } = buildAllowList(admission.allowedRegistries, registries);
  return {
    policy: {
      mode: admission.mode,
      allowList: entries,
      exemptNamespaces: new Set(exemptNamespacesOf(admission.exemptNamespaces, operatorNamespace)),
    },
    problems,
  };
}

/**
 * The current policy, swapped as a whole when the configuration or the set of Registries
 * changes, so a change takes effect on the next request without a restart. Readers call
 * `current()` per request and never hold on to the result.
 */
export class AdmissionPolicyHolder {
  private admission: Pick<AdmissionConfig, 'mode' | 'allowedRegistries' | 'exemptNamespaces'>;
  private operatorNamespace: string;
  private registries: readonly RegistryAdmissionSource[] = [];
  private policy: AdmissionPolicy;
  private lastProblems: AllowListProblem[];

  constructor(admission: Pick<AdmissionConfig, 'mode' | 'allowedRegistries' | 'exemptNamespaces'>, operatorNamespace: string) {
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
  setConfig(admission: Pick<AdmissionConfig, 'mode' | 'allowedRegistries' | 'exemptNamespaces'>, operatorNamespace = this.operatorNamespace): void {
    this.admission = admission;
    this.operatorNamespace = operatorNamespace;
    this.rebuild();
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
