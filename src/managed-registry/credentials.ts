/**
 * Key names of the user Secrets a Registry names, and how the operator reads them. One home:
 * the registry pods, the spec checks, retention and the GC write probe all read these keys.
 */
import type { V1Secret } from '@kubernetes/client-node';

/** Key of the htpasswd file in `spec.auth.htpasswdSecret` (the one key the registry itself reads). */
export const HTPASSWD_SECRET_KEY = 'htpasswd';
/**
 * The login the operator uses against a Registry with auth, kept beside `htpasswd` in the same
 * Secret (retention runs and the GC window's write probe; see examples/htpasswd-secret.yaml).
 */
export const USERNAME_KEY = 'username';
export const PASSWORD_KEY = 'password';
/** Keys of a `kubernetes.io/tls` Secret (`spec.tls.secretName`). */
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';
/** Where cert-manager writes the issuing CA in a TLS Secret; also the key of a CA-bundle Secret. */
export const CA_KEY = 'ca.crt';

/**
 * The CA that signed a Registry's certificate, from its TLS Secret: `ca.crt` (cert-manager writes
 * the issuing CA there), else `tls.crt` (a self-signed certificate is its own CA).
 */
export function registryCaOf(tlsSecret: V1Secret): string | undefined {
  return secretValue(tlsSecret, CA_KEY) ?? secretValue(tlsSecret, TLS_CERT_KEY);
}

/** A Secret key's value as text, from `data` (base64) or `stringData`; undefined when absent. */
export function secretValue(secret: V1Secret, key: string): string | undefined {
  const encoded = secret.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
  return secret.stringData?.[key];
}
