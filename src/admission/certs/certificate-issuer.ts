import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the webhook's certificates are issued. Issuing loads @peculiar/x509 with its ASN.1 and
 * tsyringe stack and WebCrypto's key generation, and a process keeps that memory for good: a
 * webhook that issued its certificates in process idled 4–6 MB above one that found them in its
 * Secret (84 against 80 MB on Node 24, 69 against 63 MB on Node 20, deploy/'s flags; a worker
 * thread kept even more). Issued here, it idles as one that found them. Issuing happens once per
 * rotation, so the shipped bundle does it in a short-lived child process
 * (dist/issue-certificate-process.mjs, about 0.2 s); run from source (tests, tsx) there is no
 * bundled script and it happens in this process, through the same functions.
 */

export type IssueRequest =
  | { kind: 'authority'; commonName: string; now: string; lifetimeMs: number }
  | { kind: 'serving'; ca: { certPem: string; keyPem: string }; dnsNames: readonly string[]; ipAddresses?: readonly string[]; now: string; lifetimeMs: number };

export interface IssuedPems {
  certPem: string;
  keyPem: string;
}

/** The bundled child's file name (scripts/bundle.ts names its entry by it). */
export const ISSUER_SCRIPT_FILE = 'issue-certificate-process.mjs';
/** The bundled child's script: beside the chunk this module is bundled into. */
const BUNDLED_SCRIPT = fileURLToPath(new URL(`./${ISSUER_SCRIPT_FILE}`, import.meta.url));
const CHILD_TIMEOUT_MS = 60_000;

export function issueCertificate(request: IssueRequest): Promise<IssuedPems> {
  return existsSync(BUNDLED_SCRIPT) ? issueInChildProcess(BUNDLED_SCRIPT, request) : issueInProcess(request);
}

export async function issueInProcess(request: IssueRequest): Promise<IssuedPems> {
  const issuer = await import('./issue-certificates.js');
  const now = new Date(request.now);
  const issued =
    request.kind === 'authority'
      ? await issuer.createCertificateAuthority({ commonName: request.commonName, now, lifetimeMs: request.lifetimeMs })
      : await issuer.issueServingCertificate({ ca: request.ca, dnsNames: request.dnsNames, ...(request.ipAddresses && { ipAddresses: request.ipAddresses }), now, lifetimeMs: request.lifetimeMs });
  return { certPem: issued.certPem, keyPem: issued.keyPem };
}

/**
 * Runs `script` with Node (the same binary, NODE_OPTIONS inherited), the request as JSON on its
 * stdin (a CA key never goes on a command line), the certificate and key as JSON on its stdout.
 */
export function issueInChildProcess(script: string, request: IssueRequest, timeoutMs = CHILD_TIMEOUT_MS): Promise<IssuedPems> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' ');
      if (code !== 0) {
        reject(new Error(`issuing a certificate in a child process failed (${signal ? `killed by ${signal}, limit ${timeoutMs} ms` : `exit ${code}`}): ${stderr || 'no output'}`));
        return;
      }
      try {
        const pems = JSON.parse(Buffer.concat(out).toString('utf8')) as Partial<IssuedPems>;
        if (typeof pems.certPem !== 'string' || typeof pems.keyPem !== 'string') throw new Error('no certPem and keyPem in its answer');
        resolve({ certPem: pems.certPem, keyPem: pems.keyPem });
      } catch (error) {
        reject(new Error(`issuing a certificate in a child process failed: ${(error as Error).message}`));
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}
