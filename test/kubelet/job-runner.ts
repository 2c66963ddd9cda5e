import path from 'node:path';
import { BatchV1Api, PatchStrategy, setHeaderOptions, type V1Job } from '@kubernetes/client-node';
import type { CoreV1Api } from '@kubernetes/client-node';
import { PodStartError } from './pod-volumes.js';
import { prepareContainer, spawnRegistry } from './registry-process.js';
import { readFile } from 'node:fs/promises';

/** Test-only annotation with the tail of a finished Job's output (pods/log needs a real kubelet). */
export const JOB_OUTPUT_ANNOTATION = 'test.dockmaster.dev/job-output';
const OUTPUT_TAIL_BYTES = 60_000;

export interface JobResult {
  exitCode: number;
  output: string;
}

/**
 * Runs batch/v1 Jobs labelled managed-by=dockmaster once each, as a kubelet plus the Job
 * controller would: the pod template's container (`registry garbage-collect <config> …`) runs as
 * a local docker-registry process on the same materialised volumes as the registry (same PVC →
 * same directory), then the Job's status says Complete or Failed.
 */
export class StandInJobRunner {
  private readonly started = new Set<string>();
  private readonly results = new Map<string, JobResult>();
  private readonly running = new Set<Promise<void>>();

  /** `holdJob(job)` true keeps a Job from starting (it looks running forever), e.g. to make a window time out. */
  constructor(private readonly batch: BatchV1Api, private readonly core: CoreV1Api, private readonly holdJob: (job: V1Job) => boolean = () => false) {}

  result(namespace: string, name: string): JobResult | undefined {
    return this.results.get(`${namespace}/${name}`);
  }

  async sync(dirs: { workDir: string; pvcRoot: string }, labelSelector: string, namespace: string | undefined): Promise<void> {
    const jobs = namespace
      ? await this.batch.listNamespacedJob({ namespace, labelSelector })
      : await this.batch.listJobForAllNamespaces({ labelSelector });
    for (const job of jobs.items) {
      const uid = job.metadata?.uid ?? '';
      const finished = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (finished || job.spec?.suspend || this.started.has(uid) || this.holdJob(job)) continue;
      this.started.add(uid);
      // An apiserver hiccup while reporting: forget the Job so the next pass runs it again.
      const run = this.run(job, dirs).catch(() => { this.started.delete(uid); }).finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** Waits for Jobs in flight (their processes run to completion on their own). */
  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private async run(job: V1Job, dirs: { workDir: string; pvcRoot: string }): Promise<void> {
    const namespace = job.metadata?.namespace ?? 'default';
    const name = job.metadata?.name ?? '';
    const startTime = rfc3339(new Date());
    await this.patchStatus(namespace, name, { startTime, active: 1 });
    const podDir = path.join(dirs.workDir, 'jobs', namespace, name);
    let result: JobResult;
    try {
      const prepared = await prepareContainer(this.core, namespace, job.spec?.template ?? {}, { podDir, pvcRoot: dirs.pvcRoot });
      const logFile = path.join(podDir, 'job.log');
      const child = spawnRegistry(prepared, logFile);
      const exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
      // The log stream closes after the exit event; give it a tick to flush.
      await new Promise((resolve) => setTimeout(resolve, 50));
      result = { exitCode, output: await readFile(logFile, 'utf8').catch(() => '') };
    } catch (error) {
      if (!(error instanceof PodStartError)) throw error;
      result = { exitCode: 1, output: `pod could not start: ${error.message}` };
    }
    this.results.set(`${namespace}/${name}`, result);
    await this.finish(namespace, name, result);
  }

  private async finish(namespace: string, name: string, result: JobResult): Promise<void> {
    const now = rfc3339(new Date());
    const condition = (type: string, reason: string, message: string): Record<string, string> =>
      ({ type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now });
    const tail = result.output.slice(-OUTPUT_TAIL_BYTES);
    await this.batch.patchNamespacedJob(
      { name, namespace, body: { metadata: { annotations: { [JOB_OUTPUT_ANNOTATION]: tail } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Kubernetes 1.31+ validates Job status: Complete needs SuccessCriteriaMet first and a
    // completionTime; Failed needs FailureTarget and no completionTime. startTime is left out:
    // any change to it (even sub-second precision) is refused for an unsuspended Job.
    const status = result.exitCode === 0
      ? {
          active: 0, succeeded: 1, completionTime: now,
          conditions: [condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')],
        }
      : {
          active: 0, failed: 1,
          conditions: [condition('FailureTarget', 'BackoffLimitExceeded', `exit code ${result.exitCode}`), condition('Failed', 'BackoffLimitExceeded', `exit code ${result.exitCode}`)],
        };
    await this.patchStatus(namespace, name, status);
  }

  private async patchStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    await this.batch.patchNamespacedJobStatus({ name, namespace, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }
}

/** Status bodies go out as plain JSON: RFC 3339 strings, as the apiserver stores them. */
function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
