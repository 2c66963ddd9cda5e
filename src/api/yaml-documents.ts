import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { InputValidationError } from '../errors.js';

/**
 * How dockmaster reads YAML (or JSON) that people write: the operator configuration, `admit`'s
 * manifests, a RetentionPolicy file. With js-yaml, the parser @kubernetes/client-node already
 * loads for kubeconfigs, so no process carries two; it costs a third of the `yaml` package's
 * time at a command's first parse (measured). Writing YAML (a registry's config.yml) stays with
 * `yaml`, whose output is hashed into the registry pod template and must not change.
 *
 * The core schema keeps JSON's types: `2024-01-01` and `on` stay strings, never a Date or a
 * boolean; a key given twice is an error.
 */

/** A YAML or JSON text that does not parse; `line` and `column` count from 1. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'YamlSyntaxError';
  }
}

/** Every document of `text` in order; an empty document (`---` with nothing after it) is null. */
export function parseYamlDocuments(text: string): unknown[] {
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA }).map((document) => document ?? null);
  } catch (error) {
    if (error instanceof YAMLException) throw new YamlSyntaxError(error.reason, error.mark.line + 1, error.mark.column + 1);
    throw error;
  }
}

/** parseYamlDocuments for what a user gave: a syntax error is an InputValidationError naming `source` and the line. */
export function readYamlDocuments(text: string, source: string): unknown[] {
  try {
    return parseYamlDocuments(text);
  } catch (error) {
    if (error instanceof YamlSyntaxError) throw new InputValidationError(source, [{ path: '', message: `not valid YAML or JSON at ${error.message}` }]);
    throw error;
  }
}
