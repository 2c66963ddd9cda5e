/**
 * Why registry pods do not become ready, from their status (pure): a container waiting in
 * CrashLoopBackOff or another error state, with the last exit and its message. The registry
 * container uses `terminationMessagePolicy: FallbackToLogsOnError`, so a process that dies at start
 * (distribution's S3 driver panicking on AWS_CA_BUNDLE, a bad config key) leaves the end of its
 * log here, and the Registry's status can say what happened without anyone reading pod logs.
 */
import type { V1Pod } from '@kubernetes/client-node';

const WAITING_REASONS_WORTH_REPORTING = new Set(['CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'RunContainerError']);
const MAX_DETAIL = 400;

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_DETAIL ? oneLine : `…${oneLine.slice(-MAX_DETAIL)}`;
}

/** The first failing registry pod, as one sentence; undefined when none is failing. */
export function podFailureSummary(pods: readonly V1Pod[], containerName: string): string | undefined {
  for (const pod of pods) {
    const status = pod.status?.containerStatuses?.find((c) => c.name === containerName);
    const waiting = status?.state?.waiting;
    if (!waiting?.reason || !WAITING_REASONS_WORTH_REPORTING.has(waiting.reason)) continue;
    const last = status?.lastState?.terminated;
    const exit = last ? `; last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}${last.message ? `: ${clip(last.message)}` : ''}` : '';
    const restarts = status?.restartCount ? `, restarted ${status.restartCount} times` : '';
    const why = waiting.message ? `: ${clip(waiting.message)}` : '';
    return `Pod ${pod.metadata?.name ?? ''}: container ${containerName} is ${waiting.reason}${restarts}${why}${exit}.`;
  }
  return undefined;
}
