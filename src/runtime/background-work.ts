/**
 * Long work (a retention run: minutes against a large or slow registry) taken off the reconcile
 * workers and run in a bounded number of slots, fairly across groups (namespaces, i.e. tenants).
 *
 * Why not in reconcile: a run inside reconcile holds a worker for its whole length, so two slow
 * or hostile registries would stall every other policy of the controller. Here a reconcile only
 * decides and submits; the work runs in a slot, and when it settles the key is queued again so
 * the next reconcile records what happened and plans the next run (level-based, as before).
 *
 * Fairness: each group waits in its own FIFO, and a freed slot goes to the next group in
 * round-robin order that is under its own cap, so one tenant's many policies (or many hostile
 * registries) hold at most `slotsPerGroup` slots and never stop another tenant's runs.
 */

export interface BackgroundWorkOptions {
  /** Work items running at once across all groups. */
  slots: number;
  /** Work items of one group running at once. */
  slotsPerGroup: number;
  /** Called when a key's work settles (or is dropped at stop), with what it asked for. */
  onSettled(key: string, result: BackgroundResult): void;
  /** Told about work that threw (work should report its own failures; this is a last resort). */
  onError?(key: string, error: unknown): void;
}

/** What finished work asks of its controller: look again after a delay, or now. */
export interface BackgroundResult {
  requeueAfterMs?: number;
}

/**
 * Long work. `waited` says whether it sat in the queue before its slot came (it did not when a
 * slot was free at submit): work decided on a snapshot of the world should decide again then.
 */
export type BackgroundTask = (signal: AbortSignal, waited: boolean) => Promise<BackgroundResult | void>;

export interface SubmitResult {
  /** False when the key already had work queued or running (nothing new was queued). */
  accepted: boolean;
  /** True when the work took a slot at once. */
  started: boolean;
  /** Items queued ahead of it (0 when started). */
  ahead: number;
}

interface Item {
  key: string;
  group: string;
  task: BackgroundTask;
}

export class BackgroundWork {
  private readonly waiting = new Map<string, Item[]>();
  /** Groups in round-robin order; the first is served next. */
  private groupOrder: string[] = [];
  private readonly runningByGroup = new Map<string, number>();
  private readonly running = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  private readonly queuedKeys = new Set<string>();
  /** The item submit() is placing: if it starts now, it did not wait. */
  private submitting: Item | undefined;
  private stopped = false;

  constructor(private readonly options: BackgroundWorkOptions) {
    if (!(options.slots >= 1 && options.slotsPerGroup >= 1)) throw new RangeError('slots and slotsPerGroup must be at least 1');
  }

  /** Queues work for a key, unless that key has work queued or running already. */
  submit(key: string, group: string, task: BackgroundTask): SubmitResult {
    if (this.stopped || this.isActive(key)) return { accepted: false, started: this.running.has(key), ahead: 0 };
    const queue = this.waiting.get(group) ?? [];
    if (queue.length === 0) this.waiting.set(group, queue);
    if (!this.groupOrder.includes(group)) this.groupOrder.push(group);
    const item = { key, group, task };
    queue.push(item);
    this.queuedKeys.add(key);
    this.submitting = item;
    this.dispatch();
    this.submitting = undefined;
    if (this.running.has(key)) return { accepted: true, started: true, ahead: 0 };
    return { accepted: true, started: false, ahead: this.queuedAhead(key) };
  }

  /** True while the key's work is queued or running: its reconcile should leave it alone. */
  isActive(key: string): boolean {
    return this.running.has(key) || this.queuedKeys.has(key);
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  counts(): { running: number; queued: number } {
    return { running: this.running.size, queued: this.queuedKeys.size };
  }

  /** Drops what waits, aborts what runs (through its signal) and waits for it to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const queue of this.waiting.values()) {
      for (const item of queue) this.options.onSettled(item.key, {});
    }
    this.waiting.clear();
    this.queuedKeys.clear();
    this.groupOrder = [];
    const inFlight = [...this.running.values()];
    for (const run of inFlight) run.abort.abort(new Error('the controller stopped (leadership lost or shutdown)'));
    await Promise.all(inFlight.map((run) => run.promise));
  }

  private queuedAhead(key: string): number {
    let ahead = 0;
    for (const queue of this.waiting.values()) {
      const index = queue.findIndex((item) => item.key === key);
      ahead += index >= 0 ? index : queue.length;
    }
    return ahead;
  }

  private dispatch(): void {
    while (!this.stopped && this.running.size < this.options.slots) {
      const next = this.takeNext();
      if (!next) return;
      this.start(next);
    }
  }

  /** The head of the first group, in round-robin order, that is under its cap; that group goes last. */
  private takeNext(): Item | undefined {
    for (let i = 0; i < this.groupOrder.length; i++) {
      const group = this.groupOrder[i] as string;
      const queue = this.waiting.get(group);
      if (!queue || queue.length === 0) continue;
      if ((this.runningByGroup.get(group) ?? 0) >= this.options.slotsPerGroup) continue;
      const item = queue.shift() as Item;
      if (queue.length === 0) this.waiting.delete(group);
      this.groupOrder.splice(i, 1);
      if (this.waiting.has(group)) this.groupOrder.push(group);
      return item;
    }
    return undefined;
  }

  private start(item: Item): void {
    this.queuedKeys.delete(item.key);
    this.runningByGroup.set(item.group, (this.runningByGroup.get(item.group) ?? 0) + 1);
    const abort = new AbortController();
    const promise = (async () => {
      let result: BackgroundResult = {};
      try {
        result = (await item.task(abort.signal, item !== this.submitting)) ?? {};
      } catch (error) {
        this.options.onError?.(item.key, error);
      } finally {
        this.running.delete(item.key);
        const left = (this.runningByGroup.get(item.group) ?? 1) - 1;
        if (left > 0) this.runningByGroup.set(item.group, left);
        else this.runningByGroup.delete(item.group);
      }
      this.options.onSettled(item.key, result);
      this.dispatch();
    })();
    this.running.set(item.key, { promise, abort });
  }
}
