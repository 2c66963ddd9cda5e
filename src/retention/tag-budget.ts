/**
 * The tags all retention runs of one operator may hold at once. A run holds its listing (about
 * 1 KB a tag) until it plans, so concurrent runs add up; per-run limits alone would let four
 * slots of 100,000-tag runs need four times the memory of one. Each run takes from this shared
 * budget as it lists and gives back what it took when it ends. A run that cannot take what it
 * needs does not wait (two half-listed runs waiting on each other would hang both): it stops
 * before planning, deletes nothing, and is tried again a little later.
 */
import { DockmasterError } from '../errors.js';

export class TagBudget {
  private held = 0;

  constructor(readonly max: number) {}

  /** Takes `count` tags for a run, or throws DM_ERR_RETENTION_MEMORY_BUSY when they are not free. */
  take(count: number): void {
    if (this.held + count > this.max) {
      throw new DockmasterError(
        'DM_ERR_RETENTION_MEMORY_BUSY',
        `Other retention runs hold ${this.held} of the operator's ${this.max} tags in memory (retention.maxTagsInMemory) and this run needs ${count} more; nothing was deleted, and the run is tried again shortly. Raise retention.maxTagsInMemory together with the operator's memory limit (about 1 KB a tag) if such runs should overlap.`,
      );
    }
    this.held += count;
  }

  release(count: number): void {
    this.held = Math.max(0, this.held - count);
  }

  get inUse(): number {
    return this.held;
  }
}

/** A run's share of a TagBudget: what it took, given back at once when the run ends. */
export class TagReservation {
  private taken = 0;

  constructor(private readonly budget: TagBudget) {}

  take(count: number): void {
    this.budget.take(count);
    this.taken += count;
  }

  release(): void {
    this.budget.release(this.taken);
    this.taken = 0;
  }
}
