import { spawn } from 'node:child_process';

/** What one kubectl invocation printed and how it ended. */
export interface KubectlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the machine's kubectl with `--kubeconfig`; `input` goes to stdin (for `apply -f -`).
 * Never throws on a non-zero exit: tests assert on the result, including refusals.
 */
export async function kubectl(kubeconfigPath: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ exitCode: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
    child.stdin.end(input ?? '');
  });
}

/** Like kubectl(), but throws with kubectl's stderr when it fails; returns stdout. */
export async function kubectlOk(kubeconfigPath: string, args: readonly string[], input?: string): Promise<string> {
  const result = await kubectl(kubeconfigPath, args, input);
  if (result.exitCode !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
