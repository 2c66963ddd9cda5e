import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { requestApiServer, type ApiServerAccess } from '../../test/controlplane/apiserver-access.js';
import { sumSamples } from './prometheus-text.js';

/**
 * Counts the requests one user makes, at the apiserver, exactly. `apiserver_request_total` has
 * no user label, so the count goes through API Priority and Fairness instead: two FlowSchemas
 * match only that user (one for write verbs, one for everything else, watches and discovery
 * included) and `apiserver_flowcontrol_dispatched_requests_total{flow_schema}` counts each
 * request the apiserver dispatched for them. The counters live in the apiserver's memory: a
 * restart zeroes them.
 */

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const METRIC = 'apiserver_flowcontrol_dispatched_requests_total';

export interface UserRequestCounts {
  writes: number;
  reads: number;
  total: number;
}

export class ApiServerUserRequests {
  private readonly writeSchema: string;
  private readonly readSchema: string;

  constructor(
    private readonly admin: ApiServerAccess,
    readonly user: string,
  ) {
    const stem = `dm-bench-${user.replace(/[^a-z0-9-]/g, '-')}`;
    this.writeSchema = `${stem}-writes`;
    this.readSchema = `${stem}-reads`;
  }

  async install(): Promise<void> {
    const subjects = [{ kind: 'User', user: { name: this.user } }];
    const schema = (name: string, precedence: number, rule: Record<string, unknown>) => ({
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name },
      spec: {
        // Before every suggested FlowSchema but `exempt` (1), which only system:masters match.
        matchingPrecedence: precedence,
        priorityLevelConfiguration: { name: 'workload-high' },
        distinguisherMethod: { type: 'ByUser' },
        rules: [{ subjects, ...rule }],
      },
    });
    const everything = { apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true };
    const schemas = [
      schema(this.writeSchema, 50, { resourceRules: [{ ...everything, verbs: WRITE_VERBS }] }),
      schema(this.readSchema, 51, { resourceRules: [{ ...everything, verbs: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] }),
    ];
    for (const body of schemas) {
      const res = await requestApiServer(this.admin, 'POST', '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas', body);
      if (res.status !== 201 && res.status !== 409) throw new Error(`Creating FlowSchema ${body.metadata.name} answered ${res.status}: ${res.body}`);
    }
  }

  /** Waits until the apiserver classifies the user's requests by our FlowSchemas (its APF config is eventually consistent). */
  async waitUntilCounting(userAccess: ApiServerAccess, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const before = await this.read();
      await requestApiServer(userAccess, 'GET', '/apis');
      if ((await this.read()).reads > before.reads) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`The apiserver never counted ${this.user}'s requests under FlowSchema ${this.readSchema}`);
  }

  async read(): Promise<UserRequestCounts> {
    const res = await requestApiServer(this.admin, 'GET', '/metrics', undefined, 15_000);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    const writes = sumSamples(res.body, METRIC, { flow_schema: this.writeSchema });
    const reads = sumSamples(res.body, METRIC, { flow_schema: this.readSchema });
    return { writes, reads, total: writes + reads };
  }
}

/** The client certificate of a kubeconfig written by the control plane's mintUser. */
export async function accessFromKubeconfig(path: string): Promise<ApiServerAccess> {
  const config = parse(await readFile(path, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  };
  const cluster = config.clusters[0]?.cluster;
  const user = config.users[0]?.user;
  if (!cluster || !user) throw new Error(`${path} has no cluster or user`);
  const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  return {
    server: cluster.server,
    caPem: text(cluster['certificate-authority-data']),
    credentials: { certPem: text(user['client-certificate-data']), keyPem: text(user['client-key-data']) },
  };
}
