/**
 * What a node's container runtime needs to pull from a managed Registry (pure). The kubelet's
 * runtime resolves image hosts with the node's DNS, not the cluster's: `<name>.<ns>.svc:5000`
 * does not resolve there, and a plain-HTTP registry must be declared. This renders, for each
 * Registry, the files an admin puts on every node:
 *   - containerd: /etc/containerd/certs.d/<host>/hosts.toml (and ca.crt), which containerd reads
 *     when its CRI registry `config_path` points there (containerd 1.7 needs that set; 2.x too);
 *   - CRI-O (containers/image): /etc/containers/registries.conf.d/<file>.conf, and
 *     /etc/containers/certs.d/<host>/ca.crt for a private CA.
 */

export interface NodeRegistry {
  /** `namespace/name` of the Registry, written in a comment. */
  key: string;
  /** host[:port] the nodes reach it at (a hostname with node DNS, a NodePort, a LoadBalancer). */
  address: string;
  /** How it was chosen, for the comment and the CLI's notes. */
  addressSource: string;
  scheme: 'http' | 'https';
  /** The CA that signed its certificate, when it is not publicly trusted. */
  caPem?: string;
  /** For a mirror (spec.proxy): the upstream's remoteURL, whose pulls nodes send here first. */
  mirrorOf?: string;
}

export interface NodeConfigFile {
  /** Absolute path on the node. */
  path: string;
  content: string;
}

export type ContainerRuntime = 'containerd' | 'crio';

export const CONTAINERD_CERTS_DIR = '/etc/containerd/certs.d';
export const CRIO_REGISTRIES_DIR = '/etc/containers/registries.conf.d';
export const CRIO_CERTS_DIR = '/etc/containers/certs.d';

/** containerd's own config must point its CRI registry at certs.d; printed once for the admin. */
export const CONTAINERD_CONFIG_PATH_SNIPPET = `# In /etc/containerd/config.toml (containerd 1.7; restart containerd after the change):
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "${CONTAINERD_CERTS_DIR}"
`;

/** Both runtimes look a host up by a directory named `host[:port]`, exactly as image references write it. */
const hostDir = (address: string): string => address;

/** A TOML basic string (quotes and backslashes escaped). */
const tomlString = (value: string): string => JSON.stringify(value);

function containerdFiles(registry: NodeRegistry): NodeConfigFile[] {
  const dir = `${CONTAINERD_CERTS_DIR}/${hostDir(registry.address)}`;
  const url = `${registry.scheme}://${registry.address}`;
  const lines = [
    `# dockmaster: Registry ${registry.key}, reached at ${registry.address} (${registry.addressSource}).`,
    `server = ${tomlString(url)}`,
    '',
    `[host.${tomlString(url)}]`,
    '  capabilities = ["pull", "resolve"]',
    ...(registry.caPem ? [`  ca = ${tomlString(`${dir}/ca.crt`)}`] : []),
    '',
  ];
  return [{ path: `${dir}/hosts.toml`, content: lines.join('\n') }, ...(registry.caPem ? [{ path: `${dir}/ca.crt`, content: registry.caPem }] : [])];
}

function crioFiles(registry: NodeRegistry): NodeConfigFile[] {
  const fileName = `dockmaster-${registry.key.replace('/', '-')}.conf`;
  const lines = [
    `# dockmaster: Registry ${registry.key}, reached at ${registry.address} (${registry.addressSource}).`,
    '[[registry]]',
    `location = ${tomlString(registry.address)}`,
    `insecure = ${registry.scheme === 'http'}`,
    '',
  ];
  return [
    { path: `${CRIO_REGISTRIES_DIR}/${fileName}`, content: lines.join('\n') },
    ...(registry.caPem ? [{ path: `${CRIO_CERTS_DIR}/${hostDir(registry.address)}/ca.crt`, content: registry.caPem }] : []),
  ];
}

/** Docker Hub's registry is written docker.io in image references; its API lives at registry-1.docker.io. */
const DOCKER_HUB_API_HOSTS = new Set(['registry-1.docker.io', 'index.docker.io', 'docker.io']);

/** The host image references name for an upstream (docker.io for Docker Hub), and the server to fall back to. */
export function upstreamOf(remoteURL: string): { host: string; server: string; dockerHub: boolean } {
  const url = new URL(remoteURL);
  const dockerHub = DOCKER_HUB_API_HOSTS.has(url.hostname);
  return { host: dockerHub ? 'docker.io' : url.host, server: dockerHub ? 'https://registry-1.docker.io' : url.origin, dockerHub };
}

/** containerd: pulls of the upstream's images go to the mirror first, then to the upstream itself. */
function containerdMirrorFiles(registry: NodeRegistry, remoteURL: string): NodeConfigFile[] {
  const upstream = upstreamOf(remoteURL);
  const dir = `${CONTAINERD_CERTS_DIR}/${hostDir(upstream.host)}`;
  const mirror = `${registry.scheme}://${registry.address}`;
  const mirrorCa = `${CONTAINERD_CERTS_DIR}/${hostDir(registry.address)}/ca.crt`;
  const lines = [
    `# dockmaster: pulls of ${upstream.host} images try mirror Registry ${registry.key} (${registry.address}) first, then ${upstream.server}.`,
    `server = ${tomlString(upstream.server)}`,
    '',
    `[host.${tomlString(mirror)}]`,
    '  capabilities = ["pull", "resolve"]',
    ...(registry.caPem ? [`  ca = ${tomlString(mirrorCa)}`] : []),
    '',
  ];
  return [{ path: `${dir}/hosts.toml`, content: lines.join('\n') }];
}

/** CRI-O: the upstream's location with the mirror listed before it. */
function crioMirrorFiles(registry: NodeRegistry, remoteURL: string): NodeConfigFile[] {
  const upstream = upstreamOf(remoteURL);
  const lines = [
    `# dockmaster: pulls of ${upstream.host} images try mirror Registry ${registry.key} first.`,
    '[[registry]]',
    `location = ${tomlString(upstream.host)}`,
    '',
    '[[registry.mirror]]',
    `location = ${tomlString(registry.address)}`,
    `insecure = ${registry.scheme === 'http'}`,
    '',
  ];
  return [{ path: `${CRIO_REGISTRIES_DIR}/dockmaster-mirror-${registry.key.replace('/', '-')}.conf`, content: lines.join('\n') }];
}

/** Docker Engine's daemon.json line for a Docker Hub mirror (Docker mirrors Docker Hub only); undefined otherwise. */
export function dockerRegistryMirrorsLine(registry: NodeRegistry): string | undefined {
  if (!registry.mirrorOf || !upstreamOf(registry.mirrorOf).dockerHub) return undefined;
  return `"registry-mirrors": [${JSON.stringify(`${registry.scheme}://${registry.address}`)}]`;
}

/** Every file for these registries and runtimes, sorted by path. */
export function renderNodeConfig(registries: readonly NodeRegistry[], runtimes: readonly ContainerRuntime[]): NodeConfigFile[] {
  const files: NodeConfigFile[] = [];
  for (const registry of registries) {
    if (runtimes.includes('containerd')) files.push(...containerdFiles(registry), ...(registry.mirrorOf ? containerdMirrorFiles(registry, registry.mirrorOf) : []));
    if (runtimes.includes('crio')) files.push(...crioFiles(registry), ...(registry.mirrorOf ? crioMirrorFiles(registry, registry.mirrorOf) : []));
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The fields of a Service node access needs, from the object the apiserver returns. */
export function serviceViewOf(service: {
  spec?: { type?: string; ports?: Array<{ port?: number; nodePort?: number }> };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
} | undefined): ServiceView {
  return {
    ...(service?.spec?.type && { type: service.spec.type }),
    ports: (service?.spec?.ports ?? []).map((p) => ({ ...(p.port !== undefined && { port: p.port }), ...(p.nodePort !== undefined && { nodePort: p.nodePort }) })),
    loadBalancerIngress: (service?.status?.loadBalancer?.ingress ?? []).map((i) => ({ ...(i.ip && { ip: i.ip }), ...(i.hostname && { hostname: i.hostname }) })),
  };
}

/** What the Registry's Service looks like to nodes (the fields node access needs). */
export interface ServiceView {
  type?: string;
  ports?: Array<{ port?: number; nodePort?: number }>;
  loadBalancerIngress?: Array<{ ip?: string; hostname?: string }>;
}

export type NodeAddress = { address: string; source: string } | { address?: undefined; problem: string };

/**
 * The address nodes can reach a Registry at, in order of preference: its first spec.hostnames
 * entry (the admin's DNS must resolve it on nodes), a LoadBalancer's ingress, a NodePort on the
 * node itself (localhost:<nodePort>, which kube-proxy serves in iptables mode). A ClusterIP-only
 * Registry without hostnames has none: its in-cluster name does not resolve on nodes.
 */
export function nodeAddressOf(hostnames: readonly string[] | undefined, service: ServiceView | undefined): NodeAddress {
  const first = hostnames?.[0];
  if (first) return { address: first, source: 'spec.hostnames[0]: node DNS must resolve it' };
  const port = service?.ports?.[0];
  const ingress = service?.loadBalancerIngress?.[0];
  if (service?.type === 'LoadBalancer' && (ingress?.ip || ingress?.hostname) && port?.port) {
    return { address: `${ingress.hostname ?? ingress.ip}:${port.port}`, source: 'the LoadBalancer ingress of its Service' };
  }
  if ((service?.type === 'NodePort' || service?.type === 'LoadBalancer') && port?.nodePort) {
    return { address: `localhost:${port.nodePort}`, source: "its Service's NodePort on each node (kube-proxy iptables mode serves NodePorts on localhost)" };
  }
  return {
    problem: 'its Service is ClusterIP and it has no spec.hostnames: nodes cannot resolve <name>.<namespace>.svc. Set spec.hostnames (with DNS that nodes use), or spec.service.type NodePort or LoadBalancer',
  };
}
