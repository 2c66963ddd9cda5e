import { DockmasterError } from '../errors.js';

/**
 * An image reference that distribution's `reference` package would refuse. The message is
 * distribution's own wording where it has one (containerd, the kubelet and `docker pull` print
 * the same words), so a user who searches for it finds the familiar explanation.
 */
export class InvalidImageReferenceError extends DockmasterError {
  /** The reference exactly as written. */
  readonly reference: string;
  /** What is wrong, without the reference itself: `repository name must be lowercase`. */
  readonly reason: string;

  constructor(reference: string, message: string, reason: string = message) {
    super('DM_ERR_INVALID_REFERENCE', message);
    this.reference = reference;
    this.reason = reason;
  }
}
