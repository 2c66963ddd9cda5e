import { describe, expect, it } from 'vitest';
import { ReferenceIndex } from '../../../src/runtime/reference-index.js';

describe('ReferenceIndex', () => {
  it('maps a referenced object to the primaries of its namespace that refer to it (a Secret to its Registries)', () => {
    const index = new ReferenceIndex();
    index.set('a/main', ['users', 'cert']);
    index.set('a/other', ['users']);
    index.set('b/main', ['users']);
    expect(index.referrersOf('a', 'users').sort()).toEqual(['a/main', 'a/other']);
    expect(index.referrersOf('a', 'cert')).toEqual(['a/main']);
    expect(index.referrersOf('a', 'nothing')).toEqual([]);
    index.set('a/main', []);
    expect(index.referrersOf('a', 'cert')).toEqual([]);
  });

  it('forgets a deleted referrer', () => {
    const index = new ReferenceIndex();
    index.set('a/p', ['main']);
    index.delete('a/p');
    expect(index.referrersOf('a', 'main')).toEqual([]);
  });
});
