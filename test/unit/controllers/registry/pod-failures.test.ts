import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podFailureSummary } from '../../../../src/controllers/registry/pod-failures.js';
import { computeRegistryStatus } from '../../../../src/controllers/registry/status.js';
import { registryWith, specWith } from '../../managed-registry/registry-fixture.js';

const panic = 'panic: LoadCustomCABundleError: unable to load custom CA bundle, HTTPClient\'s transport unsupported type\n\ngoroutine 1 [running]:\n' + 'x'.repeat(600);

function pod(name: string, state: Record<string, unknown>, extra: Record<string, unknown> = {}): V1Pod {
  return { metadata: { name }, status: { containerStatuses: [{ name: 'registry', ready: false, restartCount: 4, image: 'registry:3.1.2', imageID: '', state, ...extra }] } } as unknown as V1Pod;
}

describe('podFailureSummary', () => {
  it('says which pod crash-loops, how often, and quotes the end of its last words (the termination message)', () => {
    const summary = podFailureSummary([
      pod('main-registry-ok', { running: {} }),
      pod('main-registry-bad', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } }, { lastState: { terminated: { exitCode: 2, reason: 'Error', message: panic } } }),
    ], 'registry');
    expect(summary).toMatch(/^Pod main-registry-bad: container registry is CrashLoopBackOff, restarted 4 times: back-off 40s restarting failed container; last exit code 2 \(Error\): …/);
    expect(summary?.length).toBeLessThan(700);
  });

  it('reports image pull errors, and nothing for pods that are only starting', () => {
    expect(podFailureSummary([pod('p', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry:9"' } })], 'registry')).toMatch(/ImagePullBackOff.*registry:9/);
    expect(podFailureSummary([pod('p', { waiting: { reason: 'ContainerCreating' } })], 'registry')).toBeUndefined();
    expect(podFailureSummary([], 'registry')).toBeUndefined();
  });

  it('makes the Registry Degraded/PodsFailing with the message', () => {
    const status = computeRegistryStatus(registryWith(specWith()), { deployment: undefined, problems: [], readOnly: false, endpoint: 'e', podFailure: 'Pod p: container registry is CrashLoopBackOff.' }, 'main-registry', new Date(0));
    expect(status.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'PodsFailing', message: expect.stringContaining('CrashLoopBackOff') });
  });
});
