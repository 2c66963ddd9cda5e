import { describe, expect, it } from 'vitest';
import { isDeleteStillValid } from '../../../src/retention/planner.js';
import { renderPlanTable } from '../../../src/retention/plan-output.js';
import { planRetention } from '../../../src/retention/planner.js';
import { daysAgo, digestOf, image, index, NOW, policy, registry } from './fixtures.js';

describe('isDeleteStillValid', () => {
  const entry = { digest: digestOf(1), tags: ['a', 'b'], reason: 'deleted: not kept by any rule' };

  it.each([
    ['the tags still point to the digest', { a: digestOf(1), b: digestOf(1), c: digestOf(2) }, true],
    ['a tag is gone (deleted by someone else)', { a: digestOf(1), b: undefined }, true],
    ['a tag moved to another digest (pushed during the run)', { a: digestOf(1), b: digestOf(3) }, false],
    ['a new tag points at the digest', { a: digestOf(1), b: digestOf(1), c: digestOf(1) }, false],
  ])('when %s: %s', (_label, current, valid) => {
    expect(isDeleteStillValid(entry, current)).toBe(valid);
  });

  it('refuses an untagged child once a tag points to it', () => {
    const child = { digest: digestOf(5), tags: [], reason: 'deleted: child of deleted index x' };
    expect(isDeleteStillValid(child, { a: digestOf(1) })).toBe(true);
    expect(isDeleteStillValid(child, { amd64: digestOf(5) })).toBe(false);
  });
});

describe('renderPlanTable', () => {
  it('lists kept tags and deleted digests per repository with reasons and a summary', () => {
    const plan = planRetention(
      policy({ protectedTags: ['latest'], keep: [{ tags: ['v*'], mostRecent: 1 }] }),
      registry({
        name: 'app/web',
        tags: { latest: digestOf(1), v2: digestOf(2), v1: digestOf(3) },
        manifests: { [digestOf(1)]: image(daysAgo(9)), [digestOf(2)]: image(daysAgo(1)), [digestOf(3)]: index([digestOf(4)]), [digestOf(4)]: image(daysAgo(5)) },
      }),
      { now: NOW, policyName: 'web' },
    );
    expect(renderPlanTable(plan)).toBe(
      [
        'Retention plan of policy web for https://registry.test',
        '',
        'app/web:',
        '  ACTION  TAG         DIGEST               REASON',
        '  keep    latest      sha256:000000000000  protected tag',
        '  keep    v2          sha256:000000000000  kept by rule 1: among 1 most recent v* tags',
        '  delete  v1          sha256:000000000000  deleted: not kept by any rule',
        `  delete  <untagged>  sha256:000000000000  deleted: child of deleted index ${digestOf(3)}`,
        '',
        'Summary: 1 repositories, 3 tags: 2 kept, 1 tags removed by deleting 2 digests',
        '',
      ].join('\n'),
    );
  });
});
