/**
 * A small registry population for the retention apply tests, and checks that read it back from
 * the real registry: "still pulls" means the manifest and every blob of every platform answer.
 */
import { retentionPolicySpecSchema, type RetentionPolicySpec } from '../../../src/api/retention-policy.js';
import { isRegistryNotFound, RegistryV2Client } from '../../../src/registry/client/index.js';
import { pushImage, pushIndex, pushSignature, attachedTag } from '../../harness/fixtures.js';
import type { RunningRegistry } from '../../harness/registry.js';

export const POLICY_YAML = `apiVersion: dockmaster.dev/v1alpha1
kind: RetentionPolicy
metadata: { name: web, namespace: registries }
spec:
  registryRef: { name: main }
  repositories: ["app/**"]
  excludeRepositories: ["app/legacy/**"]
  protectedTags: ["stable"]
  keep:
    - tags: ["v*"]
      mostRecent: 2
`;

export function scenarioSpec(): RetentionPolicySpec {
  return retentionPolicySpecSchema.parse({
    registryRef: { name: 'main' },
    repositories: ['app/**'],
    excludeRepositories: ['app/legacy/**'],
    protectedTags: ['stable'],
    keep: [{ tags: ['v*'], mostRecent: 2 }],
  });
}

export interface Scenario {
  /** tag name → digest per repository, as pushed. */
  digests: Record<string, string>;
  /** Untagged children of the deleted index v0.1.0-rc: tools-old-amd64 (shared with the kept v0.1.0), tools-old-arm64. */
  children: Record<string, string>;
  /** Tags (`repo:tag`) the policy must keep, and those it must delete. */
  kept: string[];
  deleted: string[];
}

const day = (n: number): string => new Date(Date.UTC(2026, 0, n)).toISOString();

/**
 * app/web: v1.1.0..v1.4.0, each signed; `stable` (protected) on v1.1.0; `alias` (no rule keeps
 * it) on v1.4.0 — kept because it shares a kept digest (invariant 1).
 * app/tools: index v0.1.0-rc (amd64+arm64), index v0.1.0 (amd64 only, sharing v0.1.0-rc's amd64
 * child), index v0.3.0; v0.1.0-rc goes, its arm64 child with it, its amd64 child stays (invariant 2).
 * app/legacy/old: out of scope (invariant 4).
 */
export async function pushScenario(registry: RunningRegistry, prefix = 'app'): Promise<Scenario> {
  const digests: Record<string, string> = {};
  const children: Record<string, string> = {};
  const web = `${prefix}/web`;
  const tools = `${prefix}/tools`;
  for (let i = 1; i <= 4; i++) {
    const tags = [`v1.${i}.0`, ...(i === 1 ? ['stable'] : []), ...(i === 4 ? ['alias'] : [])];
    const image = await pushImage(registry, web, { tags, created: day(i), seed: `${prefix}-web-${i}` });
    for (const tag of tags) digests[`${web}:${tag}`] = image.digest;
    await pushSignature(registry, web, image.digest, 'sig', { seed: `${prefix}-sig-${i}` });
    digests[`${web}:${attachedTag(image.digest, 'sig')}`] = (await headDigest(registry, web, attachedTag(image.digest, 'sig')))!;
  }
  const amd64 = { os: 'linux', architecture: 'amd64' };
  const arm64 = { os: 'linux', architecture: 'arm64' };
  // Same seed and date: v0.1.0's amd64 child is byte-identical to v0.1.0-rc's. Equal ages rank by
  // tag name, so mostRecent 2 keeps v0.3.0 and v0.1.0, and v0.1.0-rc goes.
  const old = await pushIndex(registry, tools, { tags: ['v0.1.0-rc'], platforms: [amd64, arm64], created: day(1), seed: `${prefix}-tools-a` });
  digests[`${tools}:v0.1.0-rc`] = old.digest;
  children['tools-old-amd64'] = old.children[0]!.digest;
  children['tools-old-arm64'] = old.children[1]!.digest;
  const kept = await pushIndex(registry, tools, { tags: ['v0.1.0'], platforms: [amd64], created: day(1), seed: `${prefix}-tools-a` });
  if (kept.children[0]!.digest !== old.children[0]!.digest) throw new Error('fixture: the amd64 children should be shared');
  digests[`${tools}:v0.1.0`] = kept.digest;
  digests[`${tools}:v0.3.0`] = (await pushIndex(registry, tools, { tags: ['v0.3.0'], platforms: [amd64, arm64], created: day(3), seed: `${prefix}-tools-c` })).digest;
  digests[`${prefix}/legacy/old:v0.0.1`] = (await pushImage(registry, `${prefix}/legacy/old`, { tags: ['v0.0.1'], created: day(1), seed: `${prefix}-legacy` })).digest;

  const sig = (n: number): string => `${web}:${attachedTag(digests[`${web}:v1.${n}.0`]!, 'sig')}`;
  const keptTags = [`${web}:v1.1.0`, `${web}:stable`, `${web}:v1.3.0`, `${web}:v1.4.0`, `${web}:alias`, sig(1), sig(3), sig(4), `${tools}:v0.1.0`, `${tools}:v0.3.0`, `${prefix}/legacy/old:v0.0.1`];
  const deleted = [`${web}:v1.2.0`, sig(2), `${tools}:v0.1.0-rc`];
  return { digests, children, kept: keptTags, deleted };
}

export function plainClient(registry: RunningRegistry): RegistryV2Client {
  return new RegistryV2Client({ url: registry.url, allowPlainHttp: true });
}

async function headDigest(registry: RunningRegistry, repository: string, reference: string): Promise<string | undefined> {
  const client = plainClient(registry);
  try {
    return (await client.headManifest(repository, reference)).digest;
  } catch (error) {
    if (isRegistryNotFound(error)) return undefined;
    throw error;
  } finally {
    await client.close();
  }
}

/** Pulls `reference` completely: the manifest, and for an index every child, each with its config and layers. */
export async function pullCompletely(client: RegistryV2Client, repository: string, reference: string): Promise<void> {
  const manifest = await client.getManifest(repository, reference);
  if (manifest.kind === 'index') {
    for (const child of manifest.manifest.manifests) await pullCompletely(client, repository, child.digest);
    return;
  }
  for (const blob of [manifest.manifest.config, ...manifest.manifest.layers]) await client.getBlob(repository, blob.digest);
}

/** `repo:tag` → the digest the tag resolves to now, or undefined when it is gone. */
export async function resolveNow(client: RegistryV2Client, repoTag: string): Promise<string | undefined> {
  const [repository, tag] = splitRepoTag(repoTag);
  try {
    return (await client.headManifest(repository, tag)).digest;
  } catch (error) {
    if (isRegistryNotFound(error)) return undefined;
    throw error;
  }
}

export async function manifestExists(client: RegistryV2Client, repository: string, digest: string): Promise<boolean> {
  return (await resolveNow(client, `${repository}:${digest}`)) !== undefined;
}

export function splitRepoTag(repoTag: string): [string, string] {
  // Digests contain ':', tags do not; the repository never does (no port in repository paths).
  const at = repoTag.indexOf(':');
  return [repoTag.slice(0, at), repoTag.slice(at + 1)];
}
