/** The plan as a table for people (`--output table`); JSON output is the plan object itself. */
import type { RetentionPlan } from './plan.js';

/** `sha256:0123456789ab…`: enough of a digest to tell images apart in a table. */
function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex === undefined ? digest : `${algorithm}:${hex.slice(0, 12)}`;
}

function formatRows(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
}

export function renderPlanTable(plan: RetentionPlan): string {
  const lines = [`Retention plan of policy ${plan.policy} for ${plan.registry}`, ...(plan.notes ?? []).map((note) => `Note: ${note}`)];
  for (const repository of plan.repositories) {
    lines.push('', `${repository.name}:`);
    const rows: string[][] = [['ACTION', 'TAG', 'DIGEST', 'REASON']];
    for (const kept of repository.keep) rows.push(['keep', kept.tag, shortDigest(kept.digest), kept.reason]);
    for (const deleted of repository.delete) {
      rows.push(['delete', deleted.tags.length === 0 ? '<untagged>' : deleted.tags.join(','), shortDigest(deleted.digest), deleted.reason]);
    }
    for (const untagged of repository.untag) rows.push(['untag', untagged.tag, shortDigest(untagged.digest), untagged.reason]);
    lines.push(...formatRows(rows).map((line) => `  ${line}`));
  }
  for (const skipped of plan.skippedRepositories ?? []) lines.push('', `${skipped.name}: skipped, nothing in it is deleted: ${skipped.reason}`);
  const s = plan.summary;
  lines.push(
    '',
    `Summary: ${s.repositories} repositories, ${s.tags} tags: ${s.kept} kept, ${s.deleteTags} tags removed by deleting ${s.deleteDigests} digests` +
      (s.untagTags > 0 ? `, ${s.untagTags} untagged (manifests kept)` : ''),
  );
  return `${lines.join('\n')}\n`;
}
