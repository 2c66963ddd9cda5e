import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../../src/runtime/label-selector.js';

const labels = { 'app.kubernetes.io/managed-by': 'dockmaster', tier: 'web', env: 'prod' };

describe('parseLabelSelector', () => {
  it.each([
    ['', true],
    ['app.kubernetes.io/managed-by=dockmaster', true],
    ['app.kubernetes.io/managed-by==dockmaster', true],
    ['app.kubernetes.io/managed-by=helm', false],
    ['tier!=web', false],
    ['tier!=db', true],
    ['missing!=x', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['env in (prod, staging)', true],
    ['env in (dev)', false],
    ['env notin (dev,staging)', true],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['tier=web,env in (prod),!missing', true],
    ['tier=web,env=dev', false],
  ])('%j → %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('treats missing labels as empty', () => {
    expect(parseLabelSelector('a=b')(undefined)).toBe(false);
    expect(parseLabelSelector('!a')(undefined)).toBe(true);
  });

  it('rejects nonsense with a typed error', () => {
    expect(() => parseLabelSelector('a b c')).toThrow(expect.objectContaining({ code: 'DM_ERR_LABEL_SELECTOR' }));
  });
});

describe('formatLabelSelector', () => {
  it('writes a label set as the equality selector that parseLabelSelector matches it with', async () => {
    const { formatLabelSelector } = await import('../../../src/runtime/label-selector.js');
    const labels = { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'main' };
    expect(formatLabelSelector(labels)).toBe('app.kubernetes.io/name=registry,app.kubernetes.io/instance=main');
    expect(parseLabelSelector(formatLabelSelector(labels))({ ...labels, other: 'x' })).toBe(true);
    expect(parseLabelSelector(formatLabelSelector(labels))({ 'app.kubernetes.io/name': 'registry' })).toBe(false);
  });
});
