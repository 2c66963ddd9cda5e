/**
 * Host patterns as admins write them in the operator configuration: an exact host
 * (`registry.example.com`, `registry.example.com:5000`) or `*.domain` for every host below
 * domain. One matcher for admission's hostname mappings and the external-registry allow list.
 */

/** The host without its port, lowercase; `[::1]:5000` → `[::1]`. */
export function hostName(host: string): string {
  const lowered = host.toLowerCase();
  if (lowered.startsWith('[')) return lowered.slice(0, lowered.indexOf(']') + 1);
  const colon = lowered.lastIndexOf(':');
  return colon === -1 ? lowered : lowered.slice(0, colon);
}

/**
 * Whether `pattern` matches `host` (any case): `*.domain` matches any host below domain but not
 * domain itself; a pattern without a port matches the host on any port, one with a port only there.
 */
export function hostPatternMatches(pattern: string, host: string): boolean {
  const subject = /:\d+$/.test(pattern) ? host.toLowerCase() : hostName(host);
  const wanted = pattern.toLowerCase();
  if (wanted.startsWith('*.')) return subject.endsWith(wanted.slice(1)) && subject.length > wanted.length - 1;
  return subject === wanted;
}
