/**
 * The RetentionPolicy kind: which tags to keep in a registry, everything else in scope is
 * deleted by digest. One schema serves the CRD, the controller and `dockmaster retention plan`.
 */
import * as z from 'zod';
import { parseWithSchema } from './schema-parse.js';
import { conditionsSchema, countSchema, DNS_LABEL_PATTERN, resourceSchema, secretNameSchema, timestampSchema } from './common.js';
import { cronScheduleSchema, timeZoneSchema } from './cron.js';
import { durationSchema, positiveDurationSchema } from './duration.js';
import { globListSchema } from './glob.js';

export const RETENTION_POLICY_KIND = 'RetentionPolicy';

export const registryRefSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(DNS_LABEL_PATTERN, 'must be the name of a Registry: lowercase letters, digits and "-"')
      .meta({ description: 'Name of a Registry in the same namespace as this RetentionPolicy.' }),
  })
  .meta({
    description:
      'The dockmaster-managed Registry to clean, in the same namespace. Its in-cluster endpoint and the credentials of its ' +
      'htpasswd Secret are used. Set exactly one of registryRef or external.',
  });

export const externalRegistrySchema = z
  .strictObject({
    url: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/?#]+\/?$/, 'must be http(s)://host[:port] with no path, e.g. https://registry.example.com')
      .meta({
        description:
          'Base URL of the registry, https://host[:port] (http:// only for a registry that serves plain HTTP). The v2 API is at <url>/v2/.',
      }),
    credentialsSecret: secretNameSchema(
      'Name of a kubernetes.io/dockerconfigjson Secret in this namespace whose auths entry for the registry holds the credentials. Omit for anonymous access.',
    ).optional(),
    caSecret: secretNameSchema(
      'Name of a Secret in this namespace whose ca.crt key holds the PEM CA bundle to trust for the registry\'s TLS certificate. Omit to use the system CAs.',
    ).optional(),
    insecure: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Skip TLS certificate verification. Default false. Only for test registries; prefer caSecret. Cannot be combined with caSecret.',
      }),
  })
  .superRefine((external, ctx) => {
    if (external.caSecret && external.insecure) {
      ctx.addIssue({ code: 'custom', path: ['insecure'], message: 'set either caSecret or insecure, not both' });
    }
  })
  .meta({
    description: 'A registry not managed by dockmaster. Set exactly one of registryRef or external.',
    'x-kubernetes-validations': [
      { rule: '!(has(self.caSecret) && has(self.insecure) && self.insecure)', message: 'set either caSecret or insecure, not both', fieldPath: '.insecure' },
    ],
  });

export const semverKeepSchema = z
  .strictObject({
    latestPerMinor: z
      .int()
      .min(1)
      .max(1000)
      .optional()
      .meta({ description: 'Keep the N highest versions (by semver precedence) of each major.minor, e.g. 1 keeps the newest patch of each minor line.' }),
    latestPerMajor: z
      .int()
      .min(1)
      .max(1000)
      .optional()
      .meta({ description: 'Keep the N highest versions (by semver precedence) of each major version.' }),
  })
  .superRefine((semver, ctx) => {
    if (semver.latestPerMinor === undefined && semver.latestPerMajor === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set latestPerMinor or latestPerMajor (or both)' });
    }
  })
  .meta({
    description:
      'Keep by semantic version, among the selected tags that parse as semver (a leading "v" is allowed); tags that do not parse are ' +
      'not kept by this criterion. Versions rank by semver precedence, not by image age.',
    'x-kubernetes-validations': [
      { rule: 'has(self.latestPerMinor) || has(self.latestPerMajor)', message: 'set latestPerMinor or latestPerMajor (or both)' },
    ],
  });

/** "Keep the N …" of a keep rule: 1 to 100,000. */
const rankCountSchema = (description: string) => z.int().min(1).max(100000).optional().meta({ description });

export const keepRuleSchema = z
  .strictObject({
    tags: globListSchema(
      'tag',
      'Tag globs this rule looks at ("*" any characters, "?" one character). Default ["*"]: every tag in scope.',
    )
      .min(1)
      .default(['*']),
    excludeTags: globListSchema('tag', 'Tag globs this rule ignores even when tags matches them. Default none.').default([]),
    mostRecent: rankCountSchema(
          'Keep the N most recently created of the selected tags, by the image config "created" time (for an index: its newest child), ' +
          'ties broken by tag name. An image whose created time is missing, zero (1970, as reproducible builds write it) or in the ' +
          'future is treated as new: it ranks newest. Attached signatures and attestations (sha256-<hex>.sig/.att/.sbom) never count. At least 1.',
    ),
    newerThan: durationSchema(
      'Keep the selected tags whose image was created within this duration before the run, e.g. 720h or 30d (Go-style units ' +
        'ns, us, ms, s, m, h, plus d for 24h). An image whose created time is missing, zero or in the future is treated as new: it is kept.',
    ).optional(),
    semver: semverKeepSchema.optional(),
    pulledWithin: durationSchema(
      'Keep the selected tags whose manifest was pulled within this duration, e.g. 30d. Pulls come from the pull records of the ' +
        'registry. Until those records cover the whole duration (tracking started later, or was interrupted), every selected tag is ' +
        'kept, with a reason that says since when tracking runs. Without pull records (an external registry, or tracking off) every ' +
        'selected tag is kept. Pulls made by dockmaster itself never count.',
    ).optional(),
    mostRecentlyPulled: rankCountSchema(
          'Keep the N most recently pulled of the selected tags, from the pull records of the registry. Tags never pulled rank below every ' +
          'pulled one, ties broken as mostRecent breaks them (newest created, then tag name). Without pull records every selected tag is kept.',
    ),
  })
  .meta({
    description:
      'One keep rule. It selects tags with tags/excludeTags, then keeps those that satisfy ANY of mostRecent, newerThan, semver, ' +
      'pulledWithin and mostRecentlyPulled (a union within the rule). A rule with none of them keeps every tag it selects.',
  });

/** Bounds on what a run may read from the registry; every limit reached ends the run Failed with its name. */
export const retentionLimitsSchema = z
  .strictObject({
    maxRepositories: z.int().min(1).max(10_000_000).optional().meta({ description: 'Repositories the catalog may list. Default 10000.' }),
    maxTagsPerRepository: z.int().min(1).max(100_000_000).optional().meta({ description: 'Tags one repository may list. Default 100000. A repository past it is skipped (nothing in it is deleted) and the run ends PartiallyFailed.' }),
    maxTagsPerRun: z.int().min(1).max(100_000_000).optional().meta({
      description:
        'Tags a run may hold in memory at once (about 1 KB a tag): in the operator, one batch of 32 repositories (a run goes batch by batch, so a registry of any size fits); in dockmaster retention plan|apply, the whole plan. Default 100000. A run past it ends Failed before deleting from that batch. Raise it with the memory limit.',
    }),
    maxPages: z.int().min(1).max(10_000_000).optional().meta({ description: 'Pages one listing may follow. Default 10000.' }),
    requestDeadline: positiveDurationSchema('Total time of one request to the registry, body included. Default 2m.').optional(),
    maxBytesRead: z.int().min(1).optional().meta({ description: 'Response bytes a run may read. Default 8 GiB.', format: 'int64' }),
  })
  .meta({
    description:
      'Bounds on what a run reads from the registry, so a registry that answers endless or huge listings, or trickles its answers, cannot ' +
      'exhaust the operator. A limit reached ends the run Failed with the limit named, and nothing is deleted from a listing that was cut short.',
  });

export const retentionPolicySpecSchema = z
  .strictObject({
    registryRef: registryRefSchema.optional(),
    external: externalRegistrySchema.optional(),
    schedule: cronScheduleSchema(
      'When the controller runs the policy: a cron expression with 5 fields (minute hour day-of-month month day-of-week, e.g. ' +
        '"0 2 * * *" for 02:00 daily) or 6 with leading seconds, or @daily/@hourly/@weekly/@monthly/@yearly, read in timeZone. ' +
        'Omitted: the policy runs only when asked (run-now annotation). Ignored by `dockmaster retention plan|apply`.',
    ).optional(),
    timeZone: timeZoneSchema('IANA time zone the schedule is read in, e.g. Europe/Paris. Default UTC.'),
    suspend: z
      .boolean()
      .default(false)
      .meta({ description: 'Stop scheduled runs without deleting the policy. Default false. A run already in progress finishes.' }),
    dryRun: z
      .boolean()
      .default(false)
      .meta({ description: 'Compute and report the plan (status.planSummary, events, logs) without deleting anything. Default false.' }),
    maxDuration: positiveDurationSchema(
      'Longest a run may take, listing and deletes included, e.g. 1h. Default 1h. Past it the run stops: a listing not finished deletes nothing, ' +
        'deletes not yet sent are reported as not attempted, and the run ends Failed.',
    ).default('1h'),
    limits: retentionLimitsSchema.optional(),
    repositories: globListSchema(
      'repository',
      'Scope: repository path globs the policy applies to. "*" matches within one path segment, "**" any number of segments ' +
        '("app/**" matches app, app/web and app/web/api). Default ["**"]: every repository. Repositories outside the scope are never touched.',
    )
      .min(1)
      .default(['**']),
    excludeRepositories: globListSchema(
      'repository',
      'Repository path globs removed from the scope, even when repositories matches them. Default none.',
    ).default([]),
    protectedTags: globListSchema(
      'tag',
      'Tag globs that are never deleted, whatever the keep rules say (e.g. latest, stable). A digest carrying a protected tag is kept ' +
        'with all its tags. Default none.',
    ).default([]),
    inUse: z
      .enum(['Keep', 'Ignore'])
      .default('Keep')
      .meta({
        description:
          'Keep (default): a tag or digest that a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob in any namespace names ' +
          '(or that a running container resolved to) is never deleted nor untagged, and an index holding such a digest is kept. ' +
          'Objects count in every state: ReplicaSets scaled to 0 (rollback history), completed Jobs, suspended CronJobs. A run that cannot ' +
          'read them deletes nothing. Plans name the user when it is in this policy\'s namespace and say only "in use in another namespace" otherwise. ' +
          'Ignore: the keep rules alone decide.',
      }),
    keep: z
      .array(keepRuleSchema)
      .min(1)
      .max(32)
      .meta({
        description:
          'Keep rules. A tag in scope is kept if ANY rule keeps it; every other tag in scope is deleted. A digest is deleted only when ' +
          'every tag pointing to it is deletable; multi-arch children and signatures follow the images that reference them. ' +
          'Required, with at least one rule, so that an empty policy can never delete everything.',
      }),
  })
  .superRefine((spec, ctx) => {
    if ((spec.registryRef === undefined) === (spec.external === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['registryRef'], message: 'set exactly one of registryRef or external' });
    }
  })
  .meta({
    description: 'Which tags to keep in a registry; every other tag in scope is deleted by digest through the registry v2 API.',
    'x-kubernetes-validations': [
      { rule: 'has(self.registryRef) != has(self.external)', message: 'set exactly one of registryRef or external', fieldPath: '.registryRef' },
    ],
  });

export const retentionRunResultSchema = z.enum(['Succeeded', 'Failed', 'PartiallyFailed', 'DryRun']);

export const retentionRunSchema = z
  .object({
    startTime: timestampSchema('When the run started.').optional(),
    completionTime: timestampSchema('When the run finished.').optional(),
    result: retentionRunResultSchema
      .optional()
      .meta({
        description:
          'Succeeded: every planned delete was done. PartiallyFailed: some deletes failed (see errors); a re-run converges. ' +
          'Failed: the run could not complete (registry unreachable, bad credentials). DryRun: the plan was computed, nothing deleted.',
      }),
    repositories: countSchema('Repositories in scope that were scanned.').optional(),
    tagsEvaluated: countSchema('Tags in scope that the keep rules were evaluated on.').optional(),
    digestsDeleted: countSchema('Manifests deleted by digest (in a dry run: that would have been deleted).').optional(),
    tagsDeleted: countSchema('Tags removed by those deletes (in a dry run: that would have been removed).').optional(),
    tagsUntagged: countSchema(
      'Tags removed by untagging, their manifests kept because a kept tag or index needs them (distribution 3.x only; in a dry run: that would have been untagged).',
    ).optional(),
    tagsKeptInUse: countSchema('Tags kept only because the cluster runs them (spec.inUse: Keep).').optional(),
    errors: countSchema('Number of errors in the run (failed deletes, unreadable repositories).').optional(),
    message: z.string().max(4096).optional().meta({ description: 'Human-readable summary of the run, with the first errors.' }),
    trigger: z
      .enum(['Schedule', 'RunNow'])
      .optional()
      .meta({ description: 'What started the run: Schedule (spec.schedule) or RunNow (the dockmaster.dev/run-now annotation).' }),
  })
  .meta({ description: 'The last completed run.' });

export const planDeletionSchema = z.object({
  repository: z.string().max(512).meta({ description: 'Repository path.' }),
  digest: z.string().max(128).meta({ description: 'Manifest digest that would be deleted (for an untag: the digest the tag names, which stays).' }),
  tags: z.array(z.string().max(128)).max(20).optional().meta({ description: 'Tags that point to it (at most 20 listed).' }),
  reason: z.string().max(256).optional().meta({ description: 'Why it would be deleted; an untag (the tag goes, the manifest stays) says "untagged, manifest kept: …".' }),
});

export const planSummarySchema = z
  .object({
    repositories: countSchema('Repositories in scope.').optional(),
    tags: countSchema('Tags in scope.').optional(),
    kept: countSchema('Tags kept.').optional(),
    deleteDigests: countSchema('Digests the plan deletes.').optional(),
    deleteTags: countSchema('Tags those deletes remove.').optional(),
    untagTags: countSchema('Tags the plan untags, their manifests kept (distribution 3.x only).').optional(),
    keptInUse: countSchema('Tags kept only because the cluster runs them (spec.inUse: Keep); no keep rule kept them.').optional(),
    deletions: z
      .array(planDeletionSchema)
      .max(50)
      .optional()
      .meta({ description: 'The first planned deletions and untags (at most 50); the full plan is in the operator logs.' }),
    omittedDeletions: countSchema('Planned deletions not listed in deletions because of its bound.').optional(),
  })
  .meta({ description: 'Bounded summary of the last dry-run plan (the shape of `dockmaster retention plan --output json` summary).' });

export const retentionPolicyStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation this status describes.' }),
    conditions: conditionsSchema('Conditions of the policy (e.g. Ready, with a reason when the registry cannot be reached).'),
    lastRun: retentionRunSchema.optional(),
    nextRun: timestampSchema('When the next scheduled run is due; absent when suspended or without schedule.').optional(),
    planSummary: planSummarySchema.optional(),
    handledRunNow: z
      .string()
      .max(1024)
      .optional()
      .meta({
        description:
          'The value of the dockmaster.dev/run-now annotation the operator last ran for. A run is asked for by setting the annotation ' +
          'to a new value (e.g. a timestamp); the same value never triggers twice.',
      }),
  })
  .meta({ description: 'Observed state of the RetentionPolicy, written by the operator.' });

export const retentionPolicySchema = resourceSchema(RETENTION_POLICY_KIND, retentionPolicySpecSchema, retentionPolicyStatusSchema);

/** The spec as users write it (defaults not yet applied). */
export type RetentionPolicySpecInput = z.input<typeof retentionPolicySpecSchema>;
/** The spec after parsing, with every default applied. */
export type RetentionPolicySpec = z.output<typeof retentionPolicySpecSchema>;
export type RetentionKeepRule = z.output<typeof keepRuleSchema>;
export type RetentionKeepRuleInput = z.input<typeof keepRuleSchema>;
export type SemverKeep = z.output<typeof semverKeepSchema>;
export type RegistryRef = z.output<typeof registryRefSchema>;
export type ExternalRegistry = z.output<typeof externalRegistrySchema>;
export type RetentionRunResult = z.output<typeof retentionRunResultSchema>;
export type RetentionRun = z.output<typeof retentionRunSchema>;
export type RetentionPlanSummary = z.output<typeof planSummarySchema>;
export type RetentionPolicyStatus = z.output<typeof retentionPolicyStatusSchema>;
export type RetentionPolicyInput = z.input<typeof retentionPolicySchema>;
export type RetentionPolicy = z.output<typeof retentionPolicySchema>;

/** Parses a RetentionPolicy document (from a file or the apiserver); errors name each field. */
export function parseRetentionPolicy(obj: unknown, source = 'RetentionPolicy'): RetentionPolicy {
  return parseWithSchema(retentionPolicySchema, obj, source);
}
