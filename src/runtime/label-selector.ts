import { DockmasterError } from '../errors.js';

/**
 * Kubernetes label selectors in their string form (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`),
 * evaluated against the cache so readers filter in memory exactly as the apiserver would.
 */
type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: ReadonlySet<string> }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelMatcher = (labels: Readonly<Record<string, string>> | undefined) => boolean;

/** The equality selector of a label set (`a=b,c=d`): what a list call's labelSelector takes. */
export function formatLabelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(',');
}

export function parseLabelSelector(selector: string): LabelMatcher {
  const requirements = splitTopLevel(selector)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(parseRequirement);
  return (labels) => requirements.every((r) => matches(r, labels ?? {}));
}

function parseRequirement(text: string): Requirement {
  const set = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set) {
    const values = new Set(set[3]!.split(',').map((v) => v.trim()).filter((v) => v !== ''));
    return { op: set[2] as 'in' | 'notin', key: set[1]!, values };
  }
  const binary = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(text);
  if (binary) return { op: binary[2] === '!=' ? 'neq' : 'eq', key: binary[1]!, value: binary[3]! };
  const absent = /^!\s*([^\s!=()]+)$/.exec(text);
  if (absent) return { op: 'notexists', key: absent[1]! };
  if (/^[^\s!=()]+$/.test(text)) return { op: 'exists', key: text };
  throw new DockmasterError('DM_ERR_LABEL_SELECTOR', `Invalid label selector requirement "${text}"`);
}

/** Splits on commas outside parentheses (`a in (x,y),b` → two requirements). */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

function matches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.value;
    case 'neq':
      return !has || value !== r.value;
    case 'in':
      return has && r.values.has(value!);
    case 'notin':
      return !has || !r.values.has(value!);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}
