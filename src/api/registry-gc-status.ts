/**
 * The garbage-collection part of a Registry's status. The window state machine lives here so
 * that it survives an operator restart: a new leader reads the phase and the deadline and either
 * resumes or rolls back, never leaving the registry read-only past the deadline.
 */
import * as z from 'zod';
import { countSchema, timestampSchema } from './common.js';

export const GARBAGE_COLLECTION_PHASES = ['Idle', 'WaitingForRetention', 'EnteringReadOnly', 'Collecting', 'LeavingReadOnly'] as const;
export type GarbageCollectionPhase = (typeof GARBAGE_COLLECTION_PHASES)[number];

export const garbageCollectionResultSchema = z.enum(['Succeeded', 'Failed', 'TimedOut']);
export type GarbageCollectionResult = z.output<typeof garbageCollectionResultSchema>;

export const lastGarbageCollectionSchema = z
  .object({
    startTime: timestampSchema('When the window opened.').optional(),
    completionTime: timestampSchema('When the registry was read-write again and the window closed.').optional(),
    result: garbageCollectionResultSchema
      .optional()
      .meta({ description: 'Succeeded, Failed (the message says why), or TimedOut (maxDuration elapsed; the registry was returned to read-write).' }),
    blobsDeleted: countSchema('Blobs garbage-collect deleted.').optional(),
    manifestsDeleted: countSchema('Manifests garbage-collect deleted (untagged ones, with deleteUntagged).').optional(),
    bytesFreed: z.int().min(0).optional().meta({ description: 'Bytes freed in the registry storage.', format: 'int64' }),
    message: z.string().max(4096).optional().meta({ description: 'Human-readable account of the window.' }),
  })
  .meta({ description: 'The last garbage-collection window.' });
export type LastGarbageCollection = z.output<typeof lastGarbageCollectionSchema>;

/** Every field optional: each phase of the state machine records only what it knows so far. */
export const garbageCollectionWindowSchema = z
  .object({
    phase: z
      .enum(GARBAGE_COLLECTION_PHASES)
      .optional()
      .meta({
        description:
          'Where the current window stands: Idle (none open), WaitingForRetention (retention runs on this registry must finish), ' +
          'EnteringReadOnly (rolling the registry read-only and checking a push gets 405), Collecting (garbage-collect job running), ' +
          'LeavingReadOnly (rolling back to read-write and checking writes work).',
      }),
    readOnly: z
      .boolean()
      .optional()
      .meta({ description: 'Whether the window wants the registry read-only now; the registry controller renders the config from it.' }),
    startedAt: timestampSchema('When the current window opened.').optional(),
    deadline: timestampSchema('startedAt + maxDuration: past it the window is abandoned and the registry made read-write again.').optional(),
    phaseTransitionTime: timestampSchema('When the phase last changed.').optional(),
    jobName: z.string().max(253).optional().meta({ description: 'Name of the garbage-collect Job of this window.' }),
    deleteUntagged: z
      .boolean()
      .optional()
      .meta({ description: 'Whether this window runs garbage-collect with --delete-untagged (after the version check).' }),
    message: z.string().max(4096).optional().meta({ description: 'Human-readable detail of the current phase.' }),
  })
  .meta({ description: 'State of the current garbage-collection window, kept in status so it survives an operator restart.' });
export type GarbageCollectionWindow = z.output<typeof garbageCollectionWindowSchema>;
