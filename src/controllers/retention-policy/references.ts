/**
 * Which RetentionPolicies read which Registry and Secrets. Neither carries a label of ours, so
 * their events are mapped back to policies through this index, refreshed by every reconcile
 * (the controller reconciles every policy when it starts leading). One per controller instance.
 */
import type { PolicyReferences } from './registry-access.js';

interface Entry extends PolicyReferences {
  namespace: string;
}

export class PolicyReferenceIndex {
  private readonly byPolicy = new Map<string, Entry>();

  set(policyKey: string, references: PolicyReferences): void {
    const namespace = policyKey.slice(0, policyKey.indexOf('/'));
    this.byPolicy.set(policyKey, { namespace, ...references });
  }

  delete(policyKey: string): void {
    this.byPolicy.delete(policyKey);
  }

  policiesUsingRegistry(namespace: string, registryName: string): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.byPolicy) if (entry.namespace === namespace && entry.registryName === registryName) keys.push(key);
    return keys;
  }

  policiesUsingSecret(namespace: string, secretName: string): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.byPolicy) if (entry.namespace === namespace && entry.secretNames.includes(secretName)) keys.push(key);
    return keys;
  }
}
