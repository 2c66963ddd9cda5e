import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
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
 * updates a Secret volume by swapping a symlink, which fs.watch misses; `watchFile` polls the
 * resolved file's stat and sees it. A half-written pair (cert changed, key not yet) fails to
 * load in the server; the next poll delivers the matching pair.
 */
export class FileCertificateSource extends MutableCertificateSource {
  private readonly certFile: string;
  private readonly keyFile: string;
  private readonly onError: (error: CertificateFileError) => void;

  constructor(certFile: string, keyFile: string, options: { pollIntervalMs?: number; onError?: (error: CertificateFileError) => void } = {}) {
    super(readPair(certFile, keyFile));
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.onError = options.onError ?? (() => undefined);
    const interval = options.pollIntervalMs ?? 5_000;
    watchFile(certFile, { interval, persistent: false }, this.reload);
    watchFile(keyFile, { interval, persistent: false }, this.reload);
  }

  /** Stops watching the files. */
  close(): void {
    unwatchFile(this.certFile, this.reload);
    unwatchFile(this.keyFile, this.reload);
  }

  private readonly reload = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
    try {
      this.update(readPair(this.certFile, this.keyFile));
    } catch (error) {
      this.onError(error instanceof CertificateFileError ? error : new CertificateFileError(String(error), error));
    }
  };
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
