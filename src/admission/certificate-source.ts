import { readFileSync, statSync } from 'node:fs';
import { DockmasterError } from '../errors.js';

/** A serving certificate chain and its private key, PEM. */
export interface ServingCertificate {
  cert: string;
  key: string;
}

/**
 * Where the webhook server gets its certificate. `subscribe` reports every new one, so the
 * server swaps it in (`setSecureContext`) without a restart: rotation must never need one,
 * or a rotation would be an outage of a fail-closed webhook.
 */
export interface CertificateSource {
  current(): ServingCertificate;
  /** Calls `listener` with each new certificate; returns the function that stops it. */
  subscribe(listener: (certificate: ServingCertificate) => void): () => void;
}

/** A source whose owner pushes new certificates (the operator's Secret watcher, tests). */
export class MutableCertificateSource implements CertificateSource {
  private certificate: ServingCertificate;
  private readonly listeners = new Set<(certificate: ServingCertificate) => void>();

  constructor(initial: ServingCertificate) {
    this.certificate = initial;
  }

  current(): ServingCertificate {
    return this.certificate;
  }

  subscribe(listener: (certificate: ServingCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Replaces the certificate and tells every subscriber. */
  update(certificate: ServingCertificate): void {
    if (certificate.cert === this.certificate.cert && certificate.key === this.certificate.key) return;
    this.certificate = certificate;
    for (const listener of this.listeners) listener(certificate);
  }
}

export class CertificateFileError extends DockmasterError {
  constructor(message: string, cause?: unknown) {
    super('DM_ERR_CERTIFICATE_FILE', message, { cause });
  }
}

/**
 * Certificate and key from files (a mounted Secret, e.g. issued by cert-manager). The kubelet
 * updates a Secret volume by swapping a symlink, which fs.watch misses; polling the resolved
 * files' stats sees it. The stats are taken before each read and compared with those of the last
 * read, not with the previous poll (what `fs.watchFile` does): a swap that lands between the
 * read and the watcher's first poll was otherwise never reported (the CI flake of the symlink
 * test). A half-written pair (cert changed, key not yet) fails to load in the server, and a read
 * that fails is reported once and tried again when the files change.
 */
export class FileCertificateSource extends MutableCertificateSource {
  private readonly certFile: string;
  private readonly keyFile: string;
  private readonly onError: (error: CertificateFileError) => void;
  private readonly timer: NodeJS.Timeout;
  /** The files' identity (inode, size, mtime) when the current pair was read. */
  private readIdentity: string;
  private failedIdentity: string | undefined;

  constructor(certFile: string, keyFile: string, options: { pollIntervalMs?: number; onError?: (error: CertificateFileError) => void } = {}) {
    const identity = filesIdentity(certFile, keyFile);
    super(readPair(certFile, keyFile));
    this.readIdentity = identity;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.onError = options.onError ?? (() => undefined);
    this.timer = setInterval(this.poll, options.pollIntervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Stops watching the files. */
  close(): void {
    clearInterval(this.timer);
  }

  private readonly poll = (): void => {
    const identity = filesIdentity(this.certFile, this.keyFile);
    // Unchanged since the last read, or since the last failed one (reported once per change).
    if (identity === this.readIdentity || identity === this.failedIdentity) return;
    try {
      const pair = readPair(this.certFile, this.keyFile);
      this.readIdentity = identity;
      this.update(pair);
    } catch (error) {
      this.failedIdentity = identity;
      this.onError(error instanceof CertificateFileError ? error : new CertificateFileError(String(error), error));
    }
  };
}

/** Inode, size and modification time of both files, through symlinks; '' for a file that is missing. */
function filesIdentity(certFile: string, keyFile: string): string {
  return [certFile, keyFile]
    .map((file) => {
      const stats = statSync(file, { throwIfNoEntry: false });
      return stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : '';
    })
    .join('|');
}

function readPair(certFile: string, keyFile: string): ServingCertificate {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new CertificateFileError(`cannot read ${path}: ${(error as Error).message}`, error);
    }
  };
  return { cert: read(certFile), key: read(keyFile) };
}
