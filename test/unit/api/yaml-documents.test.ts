import { describe, expect, it } from 'vitest';
import { readYamlDocuments } from '../../../src/api/yaml-documents.js';
import { InputValidationError } from '../../../src/errors.js';

describe('readYamlDocuments', () => {
  it('reads every document in order, an empty one as null', () => {
    expect(readYamlDocuments('a: 1\n---\n---\nb: [2]\n', 'x')).toEqual([{ a: 1 }, null, { b: [2] }]);
    expect(readYamlDocuments('', 'x')).toEqual([]);
  });

  it('reads JSON as YAML', () => {
    expect(readYamlDocuments('{"kind": "Pod", "spec": {"containers": []}}', 'x')).toEqual([{ kind: 'Pod', spec: { containers: [] } }]);
  });

  it("keeps JSON's types: dates and YAML 1.1 booleans stay strings", () => {
    expect(readYamlDocuments('date: 2024-01-01\nswitch: on\nanswer: no\nflag: true\nnothing: ~\nn: 0x10\n', 'x')).toEqual([
      { date: '2024-01-01', switch: 'on', answer: 'no', flag: true, nothing: null, n: 16 },
    ]);
  });

  it('refuses a key given twice, naming the line', () => {
    expect(() => readYamlDocuments('a: 1\na: 2\n', 'x')).toThrow(/line 2, column \d+: duplicated mapping key/);
  });

  it('says where a text stops being YAML, counting from 1', () => {
    let caught: unknown;
    try {
      readYamlDocuments('kind: Pod\n  spec: [', 'pod.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputValidationError);
    expect(caught).toMatchObject({ issues: [{ path: '', message: 'not valid YAML or JSON at line 2, column 7: bad indentation of a mapping entry' }] });
  });

  it('names the source and the line when what a user gave does not parse', () => {
    expect(() => readYamlDocuments('a: [', 'policy file p.yaml')).toThrow(InputValidationError);
    expect(() => readYamlDocuments('a: [', 'policy file p.yaml')).toThrow(/^Invalid policy file p\.yaml:\n {2}- \(root\): not valid YAML or JSON at line \d+, column \d+: /);
    expect(readYamlDocuments('a: 1', 'x')).toEqual([{ a: 1 }]);
  });

  it('does not let __proto__ reach the prototype', () => {
    const [value] = readYamlDocuments('__proto__: {polluted: true}\n', 'x') as [Record<string, unknown>];
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
