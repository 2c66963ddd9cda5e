/**
 * The admin's `retention` section of the operator configuration: how many retention runs the
 * operator runs at once, in all and per namespace. Runs take slots off the reconcile workers
 * (runtime/background-work.ts); a namespace's cap is what keeps one tenant's slow or hostile
 * registries from holding every slot.
 */
import * as z from 'zod';

export const retentionRunsConfigSchema = z
  .strictObject({
    maxConcurrentRuns: z.int().min(1).max(64).default(4).meta({
      description:
        'Retention runs at once across the operator. Each run holds at most its read limits in memory (docs/retention.md), so this times the largest run must fit the memory limit.',
    }),
    maxTagsInMemory: z.int().min(1000).max(100_000_000).default(150_000).meta({
      description:
        "Tags all runs together may hold in memory (about 1 KB a tag until a run ends). A run that would pass it deletes nothing and is tried again shortly. The default fits the shipped memory limit (256 MiB, 160 MB heap) with one 100,000-tag run and smaller ones beside it; raise both together.",
    }),
    maxConcurrentRunsPerNamespace: z.int().min(1).max(64).default(2).meta({
      description:
        "Retention runs of one namespace at once. Free slots go to namespaces in turn, so a namespace's slow registries delay its own runs, never another namespace's.",
    }),
  })
  .refine((c) => c.maxConcurrentRunsPerNamespace <= c.maxConcurrentRuns, {
    message: 'maxConcurrentRunsPerNamespace cannot exceed maxConcurrentRuns',
    path: ['maxConcurrentRunsPerNamespace'],
  });
export type RetentionRunsConfig = z.output<typeof retentionRunsConfigSchema>;
