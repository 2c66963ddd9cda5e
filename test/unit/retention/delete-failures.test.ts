/** The partial-failure rule (invariant 6): which DELETE errors stop a run, and when failures add up to a stop. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REGISTRY_ERROR_CODES, RegistryApiError, type RegistryErrorCode } from '../../../src/registry/client/index.js';
import { classifyDeleteError, nextFailureState, runOutcome, type DeleteAttemptResult, type FailureState } from '../../../src/retention/delete-failures.js';

const apiError = (code: RegistryErrorCode, status: number | null): RegistryApiError =>
  new RegistryApiError({ code, status, method: 'DELETE', url: 'http://r/v2/app/manifests/sha256:x', message: 'm' });

describe('classifyDeleteError', () => {
  it.each([
    ['404: already gone', apiError(REGISTRY_ERROR_CODES.notFound, 404), 'gone'],
    ['405 read-only', apiError(REGISTRY_ERROR_CODES.readOnly, 405), 'stop'],
    ['405 deletes disabled', apiError(REGISTRY_ERROR_CODES.deleteDisabled, 405), 'stop'],
    ['401/403', apiError(REGISTRY_ERROR_CODES.auth, 403), 'stop'],
    ['5xx after retries', apiError(REGISTRY_ERROR_CODES.api, 503), 'failure'],
    ['no answer after retries', apiError(REGISTRY_ERROR_CODES.unreachable, null), 'failure'],
    ['anything else', new Error('boom'), 'failure'],
  ])('%s → %s', (_label, error, expected) => {
    expect(classifyDeleteError(error)).toBe(expected);
  });
});

const resultArb: fc.Arbitrary<DeleteAttemptResult> = fc.oneof(
  fc.constant<DeleteAttemptResult>({ kind: 'success' }),
  fc.constantFrom('gone', 'stop', 'failure').map((errorClass): DeleteAttemptResult => ({ kind: 'error', errorClass, message: errorClass })),
);

describe('nextFailureState', () => {
  it('property: the run stops exactly at the first stopping error or the N-th failure in a row, and stays stopped', () => {
    fc.assert(
      fc.property(fc.array(resultArb, { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), (results, limit) => {
        let state: FailureState = { consecutiveFailures: 0 };
        let streak = 0;
        let expectedStop: number | undefined;
        results.forEach((result, i) => {
          state = nextFailureState(state, result, limit);
          if (expectedStop === undefined) {
            const failure = result.kind === 'error' && result.errorClass !== 'gone';
            streak = failure ? streak + 1 : 0;
            if ((result.kind === 'error' && result.errorClass === 'stop') || streak >= limit) expectedStop = i;
          }
          expect(state.stopReason !== undefined).toBe(expectedStop !== undefined);
        });
      }),
    );
  });

  it('says why it stopped', () => {
    let state: FailureState = { consecutiveFailures: 0 };
    for (let i = 0; i < 3; i++) state = nextFailureState(state, { kind: 'error', errorClass: 'failure', message: `503 #${i}` }, 3);
    expect(state.stopReason).toBe('stopped after 3 consecutive failures; last: 503 #2');
    expect(nextFailureState({ consecutiveFailures: 0 }, { kind: 'error', errorClass: 'stop', message: 'read-only' }, 5).stopReason).toBe('read-only');
  });
});

describe('runOutcome', () => {
  it.each([
    [{ deleted: 3, failed: 0, notAttempted: 0 }, 'Succeeded'],
    [{ deleted: 0, failed: 0, notAttempted: 0 }, 'Succeeded'],
    [{ deleted: 2, failed: 1, notAttempted: 0 }, 'PartiallyFailed'],
    [{ deleted: 2, failed: 0, notAttempted: 4 }, 'PartiallyFailed'],
    [{ deleted: 0, failed: 1, notAttempted: 3 }, 'Failed'],
    // A repository skipped at a per-repository limit is work not done, never a success.
    [{ deleted: 0, failed: 0, notAttempted: 0, skippedRepositories: 1 }, 'PartiallyFailed'],
    [{ deleted: 4, failed: 0, notAttempted: 0, skippedRepositories: 2 }, 'PartiallyFailed'],
    [{ deleted: 0, failed: 2, notAttempted: 0, skippedRepositories: 1 }, 'Failed'],
  ] as const)('%o → %s', (counts, outcome) => {
    expect(runOutcome(counts)).toBe(outcome);
  });
});
