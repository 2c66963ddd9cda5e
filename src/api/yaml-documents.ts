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

/**
 * Every document of `text` in order; an empty document (`---` with nothing after it) is null.
 * Text that does not parse is an InputValidationError naming `source` and the line and column
 * (counted from 1) where it stops being YAML.
 */
export function readYamlDocuments(text: string, source: string): unknown[] {
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA }).map((document) => document ?? null);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const where = `line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
    throw new InputValidationError(source, [{ path: '', message: `not valid YAML or JSON at ${where}: ${error.reason}` }]);
  }
}
