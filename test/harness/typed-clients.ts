import { AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { createKubeClients, type ApiRequestObserver, type KubeClients } from '../../src/runtime/kube-client.js';

/**
 * dockmaster's KubeClients plus client-node's generated API classes, for what tests do as a
 * cluster user (read a Deployment, create a Job). The operator and the webhook no longer load
 * those classes (src/runtime/kube-transport.ts says why); tests may, and the typed calls read
 * better there. The typed calls are not counted by `observe`.
 */
export interface TestKubeClients extends KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  coordination: CoordinationV1Api;
  customObjects: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

export function createTestKubeClients(kc: KubeConfig, observe?: ApiRequestObserver): TestKubeClients {
  return {
    ...createKubeClients(kc, observe),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    customObjects: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}
