import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

describe('dockmaster CLI', () => {
  it('offers every subcommand of the design', () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['operator', 'webhook', 'retention', 'admit', 'version']));
  });
});
