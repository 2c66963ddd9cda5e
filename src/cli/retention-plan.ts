/** `dockmaster retention plan`: list the registry and plan; deletes nothing. */
import { planRetentionRun } from '../retention/run-retention.js';
import type { RetentionPlan } from '../retention/plan.js';
import { openRetentionTarget, type RetentionTargetOptions } from './retention-target.js';
import { inUseForCli, type InUseCliOptions } from './retention-in-use.js';

export interface RetentionPlanOptions extends RetentionTargetOptions, InUseCliOptions {
  output: 'table' | 'json';
}

/** Lists the registry and plans; deletes nothing. */
export async function planFromRegistry(options: RetentionPlanOptions, now = new Date()): Promise<RetentionPlan> {
  const target = await openRetentionTarget(options);
  try {
    const inUse = await inUseForCli(options, target, false);
    const { plan } = await planRetentionRun({ ...inUse, client: target.client, registry: target.url, policyName: target.policyName, spec: target.policy.spec, now, canUntag: options.untag ?? false });
    return plan;
  } finally {
    await target.client.close();
  }
}

