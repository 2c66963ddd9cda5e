/**
 * What the cluster runs, as retention needs it (pure): image references from Pods and pod
 * templates, and the digests running containers resolved to, reduced to the repositories of one
 * registry. A tag or digest in use is never deleted nor untagged (planner.ts). The collection
 * (I/O) is in-use-collector.ts; the CLI can read the same shape from a file.
 */
import { parseImageReference } from '../registry/reference.js';

/** The object that uses an image. */
export interface ImageUser {
  namespace: string;
  kind: string;
  name: string;
}

/** One image reference found in the cluster, as written (or as a container status resolved it). */
export interface ImageInUse {
  image: string;
  usedBy: ImageUser;
}

/** One repository's tags and digests in use, each with who uses it. */
export interface RepositoryUsage {
  tags: Map<string, ImageUser[]>;
  digests: Map<string, ImageUser[]>;
}

/** Repository path → usage, for one registry. */
export type RegistryUsage = Map<string, RepositoryUsage>;

/** The plan note of a policy that turned in-use protection off (the operator and the CLI say it alike). */
export const IN_USE_IGNORED_NOTE = 'in-use protection is off (spec.inUse: Ignore): the keep rules alone decide';

const add = (index: Map<string, ImageUser[]>, key: string, user: ImageUser): void => {
  const users = index.get(key);
  if (!users) index.set(key, [user]);
  else if (!users.some((u) => u.namespace === user.namespace && u.kind === user.kind && u.name === user.name)) users.push(user);
};

/**
 * The usage of the registry reached under `hosts` (`host[:port]`, as image references name it;
 * compared case-insensitively). A reference that does not parse is skipped: it cannot name
 * anything in this registry that a parsed one would not.
 */
export function usageForRegistry(images: Iterable<ImageInUse>, hosts: readonly string[]): RegistryUsage {
  const wanted = new Set(hosts.map((h) => h.toLowerCase()));
  const usage: RegistryUsage = new Map();
  for (const { image, usedBy } of images) {
    let reference;
    try {
      reference = parseImageReference(image);
    } catch {
      continue;
    }
    if (!wanted.has(reference.domain.toLowerCase())) continue;
    let repository = usage.get(reference.path);
    if (!repository) usage.set(reference.path, (repository = { tags: new Map(), digests: new Map() }));
    if (reference.digest !== undefined) add(repository.digests, reference.digest, usedBy);
    else add(repository.tags, reference.tag ?? 'latest', usedBy);
  }
  return usage;
}

/**
 * How a plan names the users of an image: by kind and name when one is in the policy's own
 * namespace, otherwise only that another namespace uses it (a tenant must not learn the
 * workload names of other namespaces).
 */
export function describeUsers(users: readonly ImageUser[], policyNamespace: string | undefined): string {
  // The CLI's --in-use-file: the person running it wrote the file.
  const file = users.find((u) => u.kind === 'File');
  if (file) return `in use (listed in ${file.name})`;
  const own = users.filter((u) => u.namespace === policyNamespace).sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
  const first = own[0];
  if (first) return `in use by ${first.kind} ${first.namespace}/${first.name}${own.length > 1 ? ` and ${own.length - 1} more` : ''}`;
  return 'in use in another namespace';
}
