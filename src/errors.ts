/**
 * Base of every error dockmaster raises on purpose. Each carries a stable `code` (DM_ERR_*),
 * in the manner of fastify's FST_ERR_* catalogue, so callers and tests match on the code,
 * never on the message text.
 */
export class DockmasterError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input from outside (a file, a flag, a CR) failed validation; `issues` name each field. */
export class InputValidationError extends DockmasterError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;

  constructor(source: string, issues: ReadonlyArray<{ path: string; message: string }>) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`);
    super('DM_ERR_INVALID_INPUT', `Invalid ${source}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}
