import { describe, expect, it } from 'vitest';
import { parseYamlDocuments, readYamlDocuments, YamlSyntaxError } from '../../../src/api/yaml-documents.js';
import { InputValidationError } from '../../../src/errors.js';

describe('parseYamlDocuments', () => {
  it('reads every document in order, an empty one as null', () => {
    expect(parseYamlDocuments('a: 1\n---\n---\nb: [2]\n')).toEqual([{ a: 1 }, null, { b: [2] }]);
    expect(parseYamlDocuments('')).toEqual([]);
  });

  it('reads JSON as YAML', () => {
    expect(parseYamlDocuments('{"kind": "Pod", "spec": {"containers": []}}')).toEqual([{ kind: 'Pod', spec: { containers: [] } }]);
  });

  it("keeps JSON's types: dates and YAML 1.1 booleans stay strings", () => {
    expect(parseYamlDocuments('date: 2024-01-01\nswitch: on\nanswer: no\nflag: true\nnothing: ~\nn: 0x10\n')).toEqual([
      { date: '2024-01-01', switch: 'on', answer: 'no', flag: true, nothing: null, n: 16 },
    ]);
  });

  it('refuses a key given twice, naming the line', () => {
    expect(() => parseYamlDocuments('a: 1\na: 2\n')).toThrow(/line 2, column \d+: duplicated mapping key/);
  });

  it('says where a text stops being YAML, counting from 1', () => {
    let caught: unknown;
    try {
      parseYamlDocuments('kind: Pod\n  spec: [');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(YamlSyntaxError);
    expect(caught).toMatchObject({ line: 2, column: 7, message: 'line 2, column 7: bad indentation of a mapping entry' });
  });

  it('names the source and the line when what a user gave does not parse', () => {
    expect(() => readYamlDocuments('a: [', 'policy file p.yaml')).toThrow(InputValidationError);
    expect(() => readYamlDocuments('a: [', 'policy file p.yaml')).toThrow(/^Invalid policy file p\.yaml:\n {2}- \(root\): not valid YAML or JSON at line \d+, column \d+: /);
    expect(readYamlDocuments('a: 1', 'x')).toEqual([{ a: 1 }]);
  });

  it('does not let __proto__ reach the prototype', () => {
    const [value] = parseYamlDocuments('__proto__: {polluted: true}\n') as [Record<string, unknown>];
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
