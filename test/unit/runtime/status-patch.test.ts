import { describe, expect, it } from 'vitest';
import { changedStatusFields } from '../../../src/runtime/status-patch.js';

interface Status {
  a?: number;
  b?: { x?: string | null; y?: string | null };
  c?: string[];
}
const FIELDS = ['a', 'b', 'c'] as const;

describe('changedStatusFields', () => {
  it('is undefined when no owned field changed (no write), whatever the key order', () => {
    expect(changedStatusFields<Status>({ a: 1, b: { x: '1', y: '2' } }, { b: { y: '2', x: '1' }, a: 1 }, FIELDS)).toBeUndefined();
  });
  it('holds only the changed fields, null for the removed ones', () => {
    expect(changedStatusFields<Status>({ a: 1, c: ['z'] }, { a: 2 }, FIELDS)).toEqual({ a: 2, c: null });
  });
  it('counts a null in a whole-written object the same as an absent key', () => {
    expect(changedStatusFields<Status>({ b: { x: '1' } }, { b: { x: '1', y: null } }, ['b'])).toBeUndefined();
    expect(changedStatusFields<Status>({ b: { x: '1', y: '2' } }, { b: { x: '1', y: null } }, ['b'])).toEqual({ b: { x: '1', y: null } });
  });
  it('ignores fields it does not own', () => {
    expect(changedStatusFields<Status>({ a: 1, c: ['z'] }, { a: 1 }, ['a'])).toBeUndefined();
  });
});
