/**
 * In-use protection for `dockmaster retention plan|apply`: the CLI must not be less safe than the
 * CRD's default (spec.inUse: Keep). It reads what runs from the cluster (--in-use-from-cluster,
 * the current kubeconfig) or from a file of image references (--in-use-file). Without either,
 * `plan` says plainly that protection is off, and `apply` refuses unless --no-in-use says so.
 */
import { readFile } from 'node:fs/promises';
import { InputValidationError } from '../errors.js';
import { IN_USE_IGNORED_NOTE, usageForRegistry, type ImageInUse } from '../retention/in-use.js';
import type { RetentionRunOptions } from '../retention/run-retention.js';
import type { RetentionTarget } from './retention-target.js';

export interface InUseCliOptions {
  /** --in-use-from-cluster: read Pods and workloads with the current kubeconfig. */
  inUseFromCluster?: boolean;
  /** --in-use-file: image references separated by white space (e.g. `kubectl get pods -A -o jsonpath='{..image}'`). */
  inUseFile?: string;
  /** false with --no-in-use. */
  inUse?: boolean;
  /** --image-hosts: other host[:port] names image references use for this registry. */
  imageHosts?: string;
}

/** Image references of a file, each attributed to the file. */
export async function imagesFromFile(path: string): Promise<ImageInUse[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputValidationError('command line', [{ path: '--in-use-file', message: `cannot read ${path}: ${(error as Error).message}` }]);
  }
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((image) => ({ image, usedBy: { namespace: '', kind: 'File', name: path } }));
}

const OFF = 'in-use protection is off for this run: nothing tells it what the cluster runs (pass --in-use-from-cluster or --in-use-file)';

/** planRetention's in-use options for a CLI run; throws bad input when `apply` would delete without them. */
export async function inUseForCli(options: InUseCliOptions, target: RetentionTarget, deletes: boolean): Promise<Pick<RetentionRunOptions, 'inUse' | 'policyNamespace' | 'notes'>> {
  const policyNamespace = target.policy.metadata?.namespace ?? '';
  if (target.policy.spec.inUse === 'Ignore') return { policyNamespace, notes: [IN_USE_IGNORED_NOTE] };
  const sources = [options.inUseFromCluster, options.inUseFile !== undefined].filter(Boolean).length;
  if (options.inUse === false) {
    if (sources > 0) throw new InputValidationError('command line', [{ path: '--no-in-use', message: 'cannot be combined with --in-use-from-cluster or --in-use-file' }]);
    return { policyNamespace, notes: ['in-use protection is off for this run (--no-in-use)'] };
  }
  if (sources === 0) {
    if (!deletes) return { policyNamespace, notes: [OFF] };
    throw new InputValidationError('command line', [
      {
        path: '--in-use-from-cluster',
        message:
          'apply would delete without knowing what the cluster runs: pass --in-use-from-cluster (reads Pods and workloads with your kubeconfig) or --in-use-file FILE, ' +
          'or --no-in-use to delete on the keep rules alone',
      },
    ]);
  }
  const images: ImageInUse[] = options.inUseFile !== undefined ? await imagesFromFile(options.inUseFile) : [];
  if (options.inUseFromCluster) {
    // Loaded only here: the Kubernetes client is heavy, and most runs do not need it.
    const [{ createKubeClients, loadKubeConfig }, { collectImagesInUse }] = await Promise.all([import('../runtime/kube-client.js'), import('../retention/in-use-collector.js')]);
    images.push(...(await collectImagesInUse(createKubeClients(loadKubeConfig({})), [])).images);
  }
  const hosts = [new URL(target.url).host, ...(options.imageHosts ?? '').split(',').map((h) => h.trim()).filter(Boolean)];
  return { policyNamespace, inUse: usageForRegistry(images, hosts) };
}
