/**
 * `dockmaster node-config`: the container-runtime files every node needs to pull from managed
 * Registries (node-access/runtime-config.ts), read from the cluster. Printed, or written under
 * `--root` (a node's filesystem mounted somewhere: what an opt-in DaemonSet runs).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { V1Secret, V1Service } from '@kubernetes/client-node';
import type { Registry } from '../api/registry.js';
import { registryChildNames } from '../managed-registry/children.js';
import { registryCaOf } from '../managed-registry/credentials.js';
import { CONTAINERD_CONFIG_PATH_SNIPPET, dockerRegistryMirrorsLine, nodeAddressOf, renderNodeConfig, serviceViewOf, type ContainerRuntime, type NodeConfigFile, type NodeRegistry } from '../node-access/runtime-config.js';
import { InputValidationError } from '../errors.js';

export interface NodeConfigOptions {
  namespace?: string;
  allNamespaces?: boolean;
  runtime: string;
  root?: string;
  kubeconfig?: string;
}

interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function runtimesOf(value: string): ContainerRuntime[] {
  const runtimes = value.split(',').map((r) => r.trim());
  const known: ContainerRuntime[] = ['containerd', 'crio'];
  const unknown = runtimes.filter((r) => !known.includes(r as ContainerRuntime));
  if (unknown.length > 0) throw new InputValidationError('command line', [{ path: '--runtime', message: `unknown runtime ${unknown.join(', ')}: use containerd, crio or containerd,crio` }]);
  return runtimes as ContainerRuntime[];
}

/** The Registries asked for, with what nodes need of each; the ones nodes cannot reach come back as notes. */
export async function readNodeRegistries(options: NodeConfigOptions, name: string | undefined): Promise<{ registries: NodeRegistry[]; notes: string[] }> {
  // Loaded here only: the Kubernetes client is heavy and the other subcommands do not need it.
  const [{ createKubeClients, getOrUndefined, loadKubeConfig }, { collectionPath, objectPath, RESOURCES }] = await Promise.all([import('../runtime/kube-client.js'), import('../runtime/resources.js')]);
  const kube = createKubeClients(loadKubeConfig(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}));
  const namespace = options.allNamespaces ? undefined : (options.namespace ?? 'default');
  if (name !== undefined && namespace === undefined) throw new InputValidationError('command line', [{ path: '--all-namespaces', message: 'name one Registry with -n NAMESPACE, not with --all-namespaces' }]);
  const found =
    name !== undefined
      ? [await kube.requestJson<Registry>('GET', objectPath(RESOURCES.registry, namespace, name))]
      : ((await kube.requestJson<{ items?: Registry[] }>('GET', collectionPath(RESOURCES.registry, namespace))).items ?? []);
  const registries: NodeRegistry[] = [];
  const notes: string[] = [];
  for (const registry of found) {
    const ns = registry.metadata?.namespace ?? '';
    const key = `${ns}/${registry.metadata?.name ?? ''}`;
    const service = await getOrUndefined(() => kube.requestJson<V1Service>('GET', objectPath(RESOURCES.service, ns, registryChildNames(registry.metadata?.name ?? '').service)));
    const address = nodeAddressOf(registry.spec?.hostnames, serviceViewOf(service));
    if (address.address === undefined) {
      notes.push(`Registry ${key} skipped: ${address.problem}.`);
      continue;
    }
    let caPem: string | undefined;
    const tlsSecret = registry.spec?.tls?.secretName;
    if (tlsSecret) {
      const secret = await getOrUndefined(() => kube.requestJson<V1Secret>('GET', objectPath(RESOURCES.secret, ns, tlsSecret)));
      caPem = secret ? registryCaOf(secret) : undefined;
      if (!caPem) notes.push(`Registry ${key}: no CA found in Secret ${tlsSecret} (ca.crt or tls.crt); nodes must already trust its certificate.`);
    }
    const mirrorOf = registry.spec?.proxy?.remoteURL;
    registries.push({ key, address: address.address, addressSource: address.source, scheme: tlsSecret ? 'https' : 'http', ...(caPem && { caPem }), ...(mirrorOf && { mirrorOf }) });
  }
  return { registries, notes };
}

/** Writes the files under `root` (a node's / mounted elsewhere), creating directories. */
export async function writeNodeConfig(root: string, files: readonly NodeConfigFile[]): Promise<void> {
  for (const file of files) {
    const target = path.join(root, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: 0o644 });
  }
}

export async function runNodeConfig(name: string | undefined, options: NodeConfigOptions, streams: Streams = process): Promise<void> {
  const runtimes = runtimesOf(options.runtime);
  const { registries, notes } = await readNodeRegistries(options, name);
  const files = renderNodeConfig(registries, runtimes);
  if (options.root) {
    await writeNodeConfig(options.root, files);
    streams.stderr.write(`Wrote ${files.length} files under ${options.root} for ${registries.length} Registries.\n`);
  } else {
    for (const file of files) streams.stdout.write(`==> ${file.path} <==\n${file.content}${file.content.endsWith('\n') ? '' : '\n'}\n`);
  }
  if (runtimes.includes('containerd') && registries.length > 0) streams.stderr.write(`Note: containerd reads these files only with\n${CONTAINERD_CONFIG_PATH_SNIPPET}`);
  for (const registry of registries) {
    const line = dockerRegistryMirrorsLine(registry);
    if (line) streams.stderr.write(`Note: Docker Engine nodes: add to /etc/docker/daemon.json (Docker mirrors Docker Hub only), then restart dockerd:\n  ${line}\n`);
  }
  for (const note of notes) streams.stderr.write(`Note: ${note}\n`);
}

export function registerNodeConfigCommand(program: Command): void {
  program
    .command('node-config')
    .description("Print (or write under --root) the container runtime files nodes need to pull from managed Registries: containerd hosts.toml, CRI-O registries.conf.d, the CA to trust.")
    .argument('[name]', 'one Registry (default: every Registry in the namespace)')
    .option('-n, --namespace <namespace>', 'namespace of the Registries (default: default)')
    .option('-A, --all-namespaces', 'every Registry in the cluster')
    .addOption(new Option('--runtime <runtimes>', 'containerd, crio, or both comma-separated').default('containerd,crio'))
    .option('--root <dir>', "write the files under this directory (a node's / mounted there) instead of printing them")
    .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .action(async (name: string | undefined, options: NodeConfigOptions) => runNodeConfig(name, options));
}
