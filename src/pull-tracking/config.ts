/** The operator configuration's `pullTracking` section: where registries send pull events. */
import * as z from 'zod';

export const pullTrackingConfigSchema = z
  .strictObject({
    receiverURL: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({
        description:
          "Base URL at which registry pods reach the operator's pull receiver (its health port), e.g. http://dockmaster-operator-metrics.dockmaster-system.svc:8080. " +
          'Set: every managed Registry sends its pull events there (POST <receiverURL>/pulls/<namespace>/<name>, with a token of its own). Unset: no pull tracking; pull keep rules keep everything they select.',
      }),
    maxRecordsPerRegistry: z.int().min(100).max(100_000).default(20_000).meta({
      description: 'Most (repository, digest) pull records kept per Registry; the oldest go first, and coverage restarts then (docs/retention.md).',
    }),
    flushIntervalSeconds: z.int().min(1).max(300).default(10).meta({ description: 'How often received pulls are written to the records ConfigMaps (batched, never one write per event).' }),
  })
  .meta({ description: 'Pull tracking for the pulledWithin and mostRecentlyPulled keep rules.' });
export type PullTrackingConfig = z.output<typeof pullTrackingConfigSchema>;
