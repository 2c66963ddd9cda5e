/**
 * Reads samples out of Prometheus text exposition (the apiserver's and the operator's /metrics),
 * enough for counters and gauges: `name{label="value",…} 12`.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export function parseSamples(text: string, name: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue; // a longer metric name with this prefix
    const labels: Record<string, string> = {};
    let valueText = rest.trim();
    if (rest[0] === '{') {
      const close = rest.lastIndexOf('}');
      for (const match of rest.slice(1, close).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[match[1] ?? ''] = match[2] ?? '';
      }
      valueText = rest.slice(close + 1).trim();
    }
    samples.push({ labels, value: Number(valueText.split(' ')[0]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include every pair of `match`. */
export function sumSamples(text: string, name: string, match: Record<string, string> = {}, exclude: Record<string, string> = {}): number {
  return parseSamples(text, name)
    .filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .filter((s) => !Object.entries(exclude).some(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}
