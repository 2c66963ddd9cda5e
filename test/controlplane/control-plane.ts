import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { requestApiServer, writeKubeconfig, type ApiServerAccess } from './apiserver-access.js';
import { locateControlPlaneBinaries, type ControlPlaneBinaries } from './binaries.js';
import { controlPlaneAccess, type ControlPlaneAccess, type ControlPlaneInfo } from './control-plane-access.js';
import { createControlPlaneFolder, releaseControlPlaneFolder } from './folder.js';
import { createControlPlanePki } from './pki.js';
import { freeLoopbackPort, ManagedProcess, waitUntil } from './processes.js';

/**
 * A real Kubernetes control plane on loopback, the way controller-runtime's envtest runs one:
 * etcd and kube-apiserver from binaries built from the pinned releases, in a temp folder, with an
 * admin client certificate, client-certificate users, ServiceAccount tokens and RBAC. Optionally
 * kube-controller-manager (garbage collector, Deployments, ReplicaSets, Jobs).
 */

export type { ControlPlaneAccess, ControlPlaneInfo, ServiceAccountToken } from './control-plane-access.js';

export interface ControlPlaneOptions {
  /** Progress lines; default to stderr with a `[controlplane]` prefix. */
  log?: (line: string) => void;
  /** Keep the temp folder (data, certificates, logs) after stop(). Also `DOCKMASTER_KEEP_CONTROLPLANE=1`. */
  keepDir?: boolean;
  /** How long etcd and kube-apiserver get to become ready. */
  readyTimeoutMs?: number;
}

export interface ControllerManagerOptions {
  /**
   * kube-controller-manager's `--controllers`. The default runs what owner references and
   * workloads need and nothing that needs nodes or a cloud.
   */
  controllers?: readonly string[];
}

export const DEFAULT_CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'deployment-controller',
  'replicaset-controller',
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
] as const;

export interface ControlPlane extends ControlPlaneAccess {
  /** The plain data to hand to another process (`controlPlaneAccess(info)` rebuilds the access). */
  info: ControlPlaneInfo;
  /** Stops kube-apiserver and starts it again on the same port with the same etcd data. */
  restartApiServer(): Promise<void>;
  startControllerManager(options?: ControllerManagerOptions): Promise<void>;
  /** Process ids of what runs now, for resource measurements. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

interface RunningProcesses {
  etcd?: ManagedProcess;
  etcdClientPort?: number;
  apiServer?: ManagedProcess;
  controllerManager?: ManagedProcess;
}

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc';

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[controlplane] ${line}\n`));
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const startedAt = Date.now();
  const binaries = await locateControlPlaneBinaries();
  const dir = await createControlPlaneFolder();
  log(`Starting etcd and kube-apiserver from ${dirname(binaries.kubeApiServer)} in ${dir}`);
  const files = await writePki(dir);
  const info: ControlPlaneInfo = { dir, server: '', kubeconfigPath: join(dir, 'admin.kubeconfig'), ...files.info };
  const processes: RunningProcesses = {};

  const stopAll = async (): Promise<void> => {
    await processes.controllerManager?.stop();
    await processes.apiServer?.stop();
    await processes.etcd?.stop();
  };
  try {
    // Ports are picked free and then bound by the child: another process may win the race, so retry.
    for (let attempt = 1; ; attempt++) {
      try {
        const etcdUrl = await startEtcd(binaries, dir, processes, readyTimeoutMs);
        const port = await freeLoopbackPort();
        info.server = `https://127.0.0.1:${port}`;
        const apiArgs = apiServerArgs(dir, files, etcdUrl, port);
        processes.apiServer = await startApiServer(binaries, dir, apiArgs, info, readyTimeoutMs);
        break;
      } catch (error) {
        await stopAll();
        if (attempt >= 3 || !/address already in use/.test(String(error))) throw error;
        log(`Port taken while starting (attempt ${attempt}); retrying with new ports`);
      }
    }
    await writeKubeconfig(info.kubeconfigPath, adminAccess(info), 'admin');
    log(`kube-apiserver ready at ${info.server} in ${Date.now() - startedAt} ms; KUBECONFIG=${info.kubeconfigPath}`);
  } catch (error) {
    await stopAll();
    throw error;
  }

  let stopped = false;
  return {
    ...controlPlaneAccess(info),
    info,
    async restartApiServer() {
      const previous = processes.apiServer;
      if (!previous) throw new Error('kube-apiserver is not running');
      const began = Date.now();
      await previous.stop();
      const port = Number(new URL(info.server).port);
      const etcdUrl = `http://127.0.0.1:${processes.etcdClientPort ?? 0}`;
      processes.apiServer = await startApiServer(binaries, dir, apiServerArgs(dir, files, etcdUrl, port), info, readyTimeoutMs);
      log(`kube-apiserver restarted in ${Date.now() - began} ms`);
    },
    async startControllerManager(managerOptions = {}) {
      if (processes.controllerManager && !processes.controllerManager.hasExited) return;
      const controllers = managerOptions.controllers ?? DEFAULT_CONTROLLERS;
      processes.controllerManager = ManagedProcess.start(
        'kube-controller-manager',
        binaries.kubeControllerManager,
        [
          `--kubeconfig=${info.kubeconfigPath}`,
          `--controllers=${controllers.join(',')}`,
          '--leader-elect=false',
          // 0: no HTTPS endpoint, so several control planes never fight over port 10257.
          '--secure-port=0',
          `--service-account-private-key-file=${files.serviceAccountKey}`,
          `--root-ca-file=${files.caCert}`,
          '--use-service-account-credentials=false',
          '--concurrent-gc-syncs=5',
        ],
        join(dir, 'kube-controller-manager.log'),
      );
      await waitForControllerManager(processes.controllerManager, info, controllers);
      log(`kube-controller-manager running (${controllers.join(', ')})`);
    },
    pids() {
      const pids: Record<string, number> = {};
      for (const child of [processes.etcd, processes.apiServer, processes.controllerManager]) {
        if (child?.pid !== undefined && !child.hasExited) pids[child.name] = child.pid;
      }
      return pids;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
      const keep = options.keepDir === true || process.env.DOCKMASTER_KEEP_CONTROLPLANE === '1';
      await releaseControlPlaneFolder(dir, keep);
      if (keep) log(`Kept ${dir}`);
    },
  };
}

interface PkiFiles {
  info: Pick<ControlPlaneInfo, 'caPem' | 'caKeyPath' | 'adminCert' | 'adminKey'>;
  caCert: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function writePki(dir: string): Promise<PkiFiles> {
  const pki = await createControlPlanePki();
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { mode: 0o700 });
  const paths = {
    caCert: join(pkiDir, 'ca.crt'),
    caKey: join(pkiDir, 'ca.key'),
    servingCert: join(pkiDir, 'apiserver.crt'),
    servingKey: join(pkiDir, 'apiserver.key'),
    serviceAccountKey: join(pkiDir, 'sa.key'),
    serviceAccountPub: join(pkiDir, 'sa.pub'),
  };
  await Promise.all([
    writeFile(paths.caCert, pki.ca.certPem),
    writeFile(paths.caKey, pki.ca.keyPem, { mode: 0o600 }),
    writeFile(paths.servingCert, pki.serving.certPem),
    writeFile(paths.servingKey, pki.serving.keyPem, { mode: 0o600 }),
    writeFile(paths.serviceAccountKey, pki.serviceAccount.privateKeyPem, { mode: 0o600 }),
    writeFile(paths.serviceAccountPub, pki.serviceAccount.publicKeyPem),
  ]);
  return {
    info: { caPem: pki.ca.certPem, caKeyPath: paths.caKey, adminCert: pki.admin.certPem, adminKey: pki.admin.keyPem },
    ...paths,
  };
}

async function startEtcd(
  binaries: ControlPlaneBinaries,
  dir: string,
  processes: RunningProcesses,
  readyTimeoutMs: number,
): Promise<string> {
  // A failed attempt may have left data bound to other peer URLs.
  await rm(join(dir, 'etcd-data'), { recursive: true, force: true });
  const clientUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const peerUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const etcd = ManagedProcess.start(
    'etcd',
    binaries.etcd,
    [
      '--name=dockmaster-test',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=dockmaster-test=${peerUrl}`,
      '--initial-cluster-state=new',
      // Test data: losing it in a power cut is fine, fsync latency on a shared disk is not.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  processes.etcd = etcd;
  processes.etcdClientPort = Number(new URL(clientUrl).port);
  await waitUntil(etcd, 'healthy', async () => (await fetch(`${clientUrl}/health`)).ok, readyTimeoutMs);
  return clientUrl;
}

function apiServerArgs(dir: string, files: PkiFiles, etcdUrl: string, port: number): string[] {
  // envtest's defaults (controller-runtime pkg/internal/testing/controlplane), plus our own serving cert.
  return [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    `--client-ca-file=${files.caCert}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--authorization-mode=RBAC',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${files.serviceAccountPub}`,
    `--service-account-signing-key-file=${files.serviceAccountKey}`,
    // No controller-manager mounts tokens into pods here; envtest disables this plugin for the same reason.
    '--disable-admission-plugins=ServiceAccount',
  ];
}

async function startApiServer(
  binaries: ControlPlaneBinaries,
  dir: string,
  args: readonly string[],
  info: ControlPlaneInfo,
  readyTimeoutMs: number,
): Promise<ManagedProcess> {
  const apiServer = ManagedProcess.start('kube-apiserver', binaries.kubeApiServer, args, join(dir, 'kube-apiserver.log'));
  const access = adminAccess(info);
  const ready = async (): Promise<boolean> => (await requestApiServer(access, 'GET', '/readyz', undefined, 2_000)).status === 200;
  await waitUntil(apiServer, 'ready (/readyz)', ready, readyTimeoutMs);
  return apiServer;
}

/**
 * With the ServiceAccount controller on, its first act (the `default` ServiceAccount in `default`)
 * shows the manager connected with informers synced; otherwise, only that it survived a second.
 */
async function waitForControllerManager(manager: ManagedProcess, info: ControlPlaneInfo, controllers: readonly string[]): Promise<void> {
  if (!controllers.includes('serviceaccount-controller')) {
    const aliveAfter = Date.now() + 1_000;
    await waitUntil(manager, 'running', async () => Date.now() > aliveAfter, 5_000);
    return;
  }
  const path = '/api/v1/namespaces/default/serviceaccounts/default';
  await waitUntil(manager, 'running (default ServiceAccount)', async () => (await requestApiServer(adminAccess(info), 'GET', path)).status === 200, 60_000);
}

function adminAccess(info: ControlPlaneInfo): ApiServerAccess {
  return { server: info.server, caPem: info.caPem, credentials: { certPem: info.adminCert, keyPem: info.adminKey } };
}
