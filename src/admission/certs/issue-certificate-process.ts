/**
 * Entry of dist/issue-certificate-process.mjs (certificate-issuer.ts says why a child process):
 * reads one IssueRequest as JSON on stdin, writes the certificate and key as JSON on stdout,
 * exits 1 with the reason on stderr.
 */
import { issueInProcess, type IssueRequest } from './certificate-issuer.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
try {
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as IssueRequest;
  process.stdout.write(JSON.stringify(await issueInProcess(request)));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
