/**
 * Which primary objects refer to which objects of another kind by name, in their own namespace
 * (a Registry to its Secrets, a RetentionPolicy to its Registry). The referenced objects carry no
 * label of ours, so their events are mapped back to the primaries through this index, which every
 * reconcile refreshes (a controller reconciles every primary when it starts leading). One per
 * controller instance: no module state. controller-runtime's field indexers do this job in Go.
 */
export class ReferenceIndex {
  private readonly byReferrer = new Map<string, { namespace: string; names: ReadonlySet<string> }>();

  /** The names `referrerKey` (`namespace/name`) refers to now; none forgets it. */
  set(referrerKey: string, names: Iterable<string>): void {
    const set = new Set(names);
    if (set.size === 0) {
      this.byReferrer.delete(referrerKey);
      return;
    }
    this.byReferrer.set(referrerKey, { namespace: referrerKey.slice(0, referrerKey.indexOf('/')), names: set });
  }

  delete(referrerKey: string): void {
    this.byReferrer.delete(referrerKey);
  }

  /** Keys of the primaries in `namespace` that refer to `name`. */
  referrersOf(namespace: string, name: string): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.byReferrer) if (entry.namespace === namespace && entry.names.has(name)) keys.push(key);
    return keys;
  }
}
