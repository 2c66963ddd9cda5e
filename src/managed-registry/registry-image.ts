/**
 * Which image a Registry runs (pure). `spec.image` when the user set it. Otherwise the image the
 * Registry runs now: an operator release (or an admin) that changes the default must never move
 * an existing registry to another distribution version under its data (3.x no longer serves
 * schema1 manifests, and going back is refused). Only a Registry that runs nothing yet gets the
 * default, `registries.defaultImage` in the operator configuration.
 *
 * The CRD has no default for spec.image on purpose: an apiserver default is written into etcd at
 * create time, and a later apply by another field manager (kubectl's client-side to server-side
 * migration, measured) removes it, after which the new default would apply on read.
 */
import * as z from 'zod';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Registry } from '../api/registry.js';
import { DEFAULT_REGISTRY_IMAGE } from '../api/registry-image-default.js';

export const registryDefaultsConfigSchema = z
  .strictObject({
    defaultImage: z
      .string()
      .min(1)
      .max(512)
      .default(DEFAULT_REGISTRY_IMAGE)
      .meta({
        description:
          `Image for a new Registry without spec.image (default ${DEFAULT_REGISTRY_IMAGE}); e.g. a copy in your own registry. ` +
          'Registries that already run keep their image when this changes.',
      }),
    anonymousMirrorsWithCredentials: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Let a mirror (spec.proxy) with upstream credentials run without spec.auth. Default false: such a mirror would let every pod in the cluster pull what the upstream account can, private repositories included.',
      }),
  })
  .meta({ description: 'Defaults for the Registries the operator runs.' });
export type RegistryDefaultsConfig = z.output<typeof registryDefaultsConfigSchema>;

export type RegistryImageSource = 'spec' | 'running' | 'default';

/** The image a registry Deployment runs (its one container, buildDeployment); undefined before it exists. */
export function imageOfDeployment(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.spec?.template.spec?.containers[0]?.image;
}

export function resolveRegistryImage(specImage: string | undefined, runningImage: string | undefined, defaultImage: string): { image: string; source: RegistryImageSource } {
  if (specImage !== undefined) return { image: specImage, source: 'spec' };
  if (runningImage !== undefined && runningImage !== '') return { image: runningImage, source: 'running' };
  return { image: defaultImage, source: 'default' };
}

/**
 * The image a Registry runs, for the controllers that do not render it (GC windows, retention):
 * status.image, which the Registry controller writes from resolveRegistryImage; before its first
 * status, spec.image, else the built-in default.
 */
export function registryImageOf(registry: Pick<Registry, 'spec' | 'status'>): string {
  return registry.status?.image ?? registry.spec?.image ?? DEFAULT_REGISTRY_IMAGE;
}
