import { describe, expect, it } from 'vitest';
import { gcStatusPatch } from '../../../src/controllers/registry-gc/status-patch.js';

describe('gcStatusPatch', () => {
  it('writes the window whole, nulling fields the new phase dropped', () => {
    const current = { garbageCollectionWindow: { phase: 'LeavingReadOnly' as const, readOnly: false, jobName: 'j', deadline: 'd' } };
    expect(gcStatusPatch(current, { window: { phase: 'Idle', readOnly: false } })).toEqual({
      garbageCollectionWindow: { phase: 'Idle', readOnly: false, startedAt: null, deadline: null, phaseTransitionTime: null, jobName: null, deleteUntagged: null, message: null },
    });
  });

  it('is undefined when nothing changes (no write on an idle pass)', () => {
    const status = { garbageCollectionWindow: { phase: 'Idle' as const, readOnly: false }, nextGarbageCollection: '2025-03-02T03:00:00.000Z' };
    expect(gcStatusPatch(status, { window: { phase: 'Idle', readOnly: false }, nextGarbageCollection: '2025-03-02T03:00:00.000Z' })).toBeUndefined();
  });

  it('sets and clears nextGarbageCollection', () => {
    expect(gcStatusPatch({}, { nextGarbageCollection: 'x' })).toEqual({ nextGarbageCollection: 'x' });
    expect(gcStatusPatch({ nextGarbageCollection: 'x' }, { nextGarbageCollection: null })).toEqual({ nextGarbageCollection: null });
  });
});
