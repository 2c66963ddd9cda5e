/**
 * The Registry kind: a distribution registry the operator deploys, with its storage, auth, TLS,
 * Service, admission listing and read-only garbage-collection windows.
 */
import * as z from 'zod';
import { parseWithSchema } from './schema-parse.js';
import { conditionsSchema, quantitySchema, resourceSchema, secretNameSchema, timestampSchema } from './common.js';
import { cronScheduleSchema, timeZoneSchema } from './cron.js';
import { positiveDurationSchema } from './duration.js';
import { garbageCollectionWindowSchema, lastGarbageCollectionSchema } from './registry-gc-status.js';
import { DEFAULT_REGISTRY_IMAGE } from './registry-image-default.js';

export const REGISTRY_KIND = 'Registry';

export const pvcStorageSchema = z
  .strictObject({
    size: quantitySchema('Requested size of the PersistentVolumeClaim, e.g. 10Gi. Growing it needs a storage class that allows expansion.'),
    storageClassName: z
      .string()
      .max(253)
      .optional()
      .meta({ description: 'StorageClass of the claim. Omitted: the cluster default class.' }),
    accessModes: z
      .array(z.enum(['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod']))
      .min(1)
      .max(3)
      .optional()
      .meta({
        description:
          'Access modes of the claim. Omitted: [ReadWriteOnce], which allows a single replica. More than one replica needs ReadWriteMany.',
      }),
    deleteOnRemoval: z
      .boolean()
      .default(false)
      .meta({ description: 'Delete the claim (and so every image in it) when the Registry is deleted. Default false: the claim is kept.' }),
  })
  .meta({ description: 'Store images on a PersistentVolumeClaim the operator creates.' });

export const emptyDirStorageSchema = z
  .strictObject({
    sizeLimit: quantitySchema('Upper bound of the emptyDir volume, e.g. 5Gi. Omitted: no limit.').optional(),
  })
  .meta({ description: 'Store images in an emptyDir volume: they are lost when the pod goes. For tests and caches.' });

export const s3StorageSchema = z
  .strictObject({
    bucket: z.string().min(3).max(255).meta({ description: 'Name of the S3 bucket.' }),
    region: z.string().min(1).max(64).meta({ description: 'Region of the bucket, e.g. eu-west-1 (any value for most S3-compatible stores).' }),
    endpoint: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
      .optional()
      .meta({ description: 'URL of an S3-compatible endpoint (MinIO, Ceph RGW). Omitted: AWS S3.' }),
    secretRef: z
      .strictObject({
        name: secretNameSchema('Name of the Secret in the same namespace.'),
      })
      .meta({ description: 'Secret holding the credentials under the keys accessKey and secretKey. A change rolls the pods.' }),
    rootDirectory: z
      .string()
      .max(1024)
      .regex(/^\/[A-Za-z0-9._\-/]*$/, 'must be an absolute key prefix such as /registry')
      .optional()
      .meta({ description: 'Key prefix every object is stored under, e.g. /registry, so several registries (or other data) can share a bucket.' }),
    forcePathStyle: z
      .boolean()
      .optional()
      .meta({
        description:
          'Address the bucket as <endpoint>/<bucket> (path style) instead of <bucket>.<endpoint>. Most S3-compatible stores (MinIO, Ceph RGW) need it. distribution 3.x only (forcepathstyle); 2.8 uses path style exactly when endpoint is set and refuses anything else.',
      }),
    caSecretRef: z
      .strictObject({ name: secretNameSchema('Name of the Secret in the same namespace.') })
      .optional()
      .meta({
        description:
          "Secret whose ca.crt is the CA bundle that signed the endpoint's certificate (a private MinIO). Mounted and given to the registry as SSL_CERT_FILE, never as AWS_CA_BUNDLE, which makes distribution's S3 driver panic at start.",
      }),
    redirect: z
      .boolean()
      .optional()
      .meta({
        description:
          'Send clients to a presigned S3 URL for blob downloads (default true, distribution\'s default). Set false when clients cannot reach the endpoint themselves (an in-cluster MinIO behind the registry): the registry then streams every blob.',
      }),
  })
  .meta({ description: 'Store images in an S3 bucket; several replicas can share it.' });

export const registryStorageSchema = z
  .strictObject({
    pvc: pvcStorageSchema.optional(),
    emptyDir: emptyDirStorageSchema.optional(),
    s3: s3StorageSchema.optional(),
  })
  .superRefine((storage, ctx) => {
    const kinds = (['pvc', 'emptyDir', 's3'] as const).filter((kind) => storage[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `set exactly one of pvc, emptyDir or s3${kinds.length > 1 ? ` (got ${kinds.join(' and ')})` : ''}` });
    }
  })
  .meta({
    description: 'Where the registry keeps images: exactly one of pvc, emptyDir or s3.',
    'x-kubernetes-validations': [
      { rule: '[has(self.pvc), has(self.emptyDir), has(self.s3)].filter(x, x).size() == 1', message: 'set exactly one of pvc, emptyDir or s3' },
    ],
  });

export const registryServiceSchema = z
  .strictObject({
    type: z
      .enum(['ClusterIP', 'NodePort', 'LoadBalancer'])
      .default('ClusterIP')
      .meta({ description: 'Type of the Service in front of the registry: ClusterIP (default), NodePort or LoadBalancer.' }),
    port: z.int().min(1).max(65535).default(5000).meta({ description: 'Port of the Service. Default 5000.' }),
  })
  .meta({ description: 'The Service the operator creates for the registry.' });

const resourceListSchema = (description: string) =>
  z.record(z.string().max(253), quantitySchema('A quantity such as 500m or 256Mi.')).optional().meta({ description });

export const garbageCollectionSpecSchema = z
  .strictObject({
    schedule: cronScheduleSchema(
      'When a garbage-collection window opens: a cron expression with 5 fields (e.g. "0 3 * * 0" for Sundays at 03:00) or 6 with ' +
        'leading seconds, or @daily/@weekly/..., read in timeZone. During the window the registry is read-only: pulls work, pushes get 405.',
    ),
    timeZone: timeZoneSchema('IANA time zone the schedule is read in. Default UTC.'),
    maxDuration: positiveDurationSchema(
      'Longest a window may keep the registry read-only, e.g. 30m or 2h (Go-style duration, or d for days). Default 30m. Whatever ' +
        'happens (hung job, operator restart), the registry is read-write again after it and the status says why the window failed.',
    ).default('30m'),
    deleteUntagged: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Also delete manifests no tag points to (garbage-collect --delete-untagged). Default false. distribution 2.8 would delete the ' +
          'untagged children of tagged multi-arch indexes, so the operator refuses it on such versions and says so in the status.',
      }),
    suspend: z.boolean().default(false).meta({ description: 'Stop opening new windows. Default false. A window in progress completes.' }),
  })
  .meta({
    description:
      'Scheduled read-only windows in which the operator runs `registry garbage-collect` to free the bytes of deleted manifests. ' +
      'A window waits for running RetentionPolicies on this registry to finish. Omitted: no garbage collection.',
  });

/** scheme://host[:port] and nothing else: distribution appends /v2 to remoteurl itself. */
function isSchemeAndHost(text: string): boolean {
  if (!/^https?:\/\/[^/?#@\s]+\/?$/.test(text)) return false;
  try {
    const url = new URL(text);
    return url.pathname === '/' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

export const registryProxySchema = z
  .strictObject({
    remoteURL: z
      .string()
      .max(2048)
      .refine(isSchemeAndHost, 'must be scheme://host[:port] and nothing else, e.g. https://registry-1.docker.io: no path, query, fragment or user (distribution adds /v2 itself, so a path makes every pull fail)')
      .meta({
        description: 'The upstream this Registry mirrors: scheme and host only, e.g. https://registry-1.docker.io for Docker Hub. One upstream per Registry.',
        'x-kubernetes-validations': [{ rule: "self.matches('^https?://[^/?#@ ]+/?$')", message: 'must be scheme://host[:port] and nothing else: no path, query, fragment or user' }],
      }),
    credentialsSecret: secretNameSchema(
      'Secret in this namespace with the upstream credentials under the keys username and password. They reach the registry as environment variables from the Secret, never through a ConfigMap. ' +
        'A mirror with credentials needs spec.auth: otherwise every pod in the cluster could pull what that account can (docs/mirrors.md).',
    ).optional(),
    ttl: positiveDurationSchema(
      'How long cached content is kept after its last pull before the mirror drops it, e.g. 168h. distribution 3.x only (2.8 always keeps 168h and the Registry reports this as Degraded). Omitted: 168h.',
    ).optional(),
  })
  .meta({
    description:
      'Run this Registry as a pull-through cache (mirror) of one upstream. Pushes are refused by the registry; retention and garbage-collection windows do not apply (TTL expiry is how a mirror drops content); one replica.',
  });

/** Cross-field rules of a mirror, named by field; the apply-time webhook and the controller both use them. */
function mirrorProblems(spec: { proxy?: unknown; replicas: number; garbageCollection?: unknown }, ctx: z.RefinementCtx): void {
  if (!spec.proxy) return;
  if (spec.replicas > 1) {
    ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'a mirror (spec.proxy) runs one replica: its replicas would share one scheduler-state.json for TTLs and overwrite each other; set replicas: 1' });
  }
  if (spec.garbageCollection) {
    ctx.addIssue({
      code: 'custom',
      path: ['garbageCollection'],
      message: 'a mirror (spec.proxy) has no garbage-collection windows: read-only mode does not stop its cache fills and TTL expiry, which would race garbage-collect; remove garbageCollection (TTL expiry frees space)',
    });
  }
}

export const registrySpecSchema = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({
        description:
          'Container image of the distribution registry, e.g. registry:3.1.2. When absent: the image the Registry runs now, so a new default ' +
          `never moves an existing registry to another version; for a new Registry, the operator's registries.defaultImage (${DEFAULT_REGISTRY_IMAGE} unless the admin changed it). ` +
          'status.image shows the image in use. Going from 3.x back to 2.x on the same storage is refused unless annotated dockmaster.dev/allow-downgrade=true.',
      }),
    replicas: z
      .int()
      .min(0)
      .max(100)
      .default(1)
      .meta({ description: 'Number of registry pods. Default 1. More than one needs shared storage: s3 or a ReadWriteMany PVC. 0 stops the registry.' }),
    storage: registryStorageSchema,
    auth: z
      .strictObject({
        htpasswdSecret: secretNameSchema(
          'Name of a Secret in this namespace whose htpasswd key holds bcrypt entries (written by htpasswd -Bbn USER PASSWORD). ' +
            'RetentionPolicies using registryRef log in with the username and password keys of the same Secret, so add them.',
        ).optional(),
      })
      .optional()
      .meta({ description: 'Authentication of the registry. Omitted: anonymous access.' }),
    tls: z
      .strictObject({
        secretName: secretNameSchema('Name of a kubernetes.io/tls Secret (tls.crt, tls.key) in this namespace.'),
      })
      .optional()
      .meta({ description: 'Serve HTTPS with this certificate. Omitted: plain HTTP inside the cluster.' }),
    service: registryServiceSchema.prefault({}),
    hostnames: z
      .array(
        z
          .string()
          .max(253)
          .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, 'must be a lowercase host name with an optional :port'),
      )
      .max(32)
      .default([])
      .meta({
        description:
          'Host names (with optional :port) users put in image references for this registry, e.g. registry.example.com. ' +
          'The admission webhook admits images from them when admission.allowed is true.',
      }),
    resources: z
      .strictObject({
        requests: resourceListSchema('Minimum resources, e.g. {cpu: 100m, memory: 128Mi}.'),
        limits: resourceListSchema('Maximum resources, e.g. {memory: 512Mi}.'),
      })
      .optional()
      .meta({ description: 'Compute resources of the registry container.' }),
    garbageCollection: garbageCollectionSpecSchema.optional(),
    admission: z
      .strictObject({
        allowed: z
          .boolean()
          .default(true)
          .meta({ description: 'Admit Pods whose images come from this registry (its hostnames and in-cluster endpoint). Default true.' }),
      })
      .prefault({})
      .meta({ description: 'How the admission webhook treats images from this registry.' }),
    proxy: registryProxySchema.optional(),
  })
  .superRefine(mirrorProblems)
  .meta({
    description: 'Desired state of the registry.',
    'x-kubernetes-validations': [
      { rule: '!has(self.proxy) || !has(self.replicas) || self.replicas <= 1', message: 'a mirror (spec.proxy) runs one replica', fieldPath: '.replicas' },
      { rule: '!has(self.proxy) || !has(self.garbageCollection)', message: 'a mirror (spec.proxy) has no garbage-collection windows', fieldPath: '.garbageCollection' },
    ],
  });

export const registryStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation this status describes.' }),
    conditions: conditionsSchema(
      'Ready (serving: available replicas answer /v2/), Progressing (a rollout is under way), Degraded (something needs fixing; ' +
        'the message says what), ReadOnly (a garbage-collection window holds the registry read-only).',
    ),
    endpoint: z.string().max(2048).optional().meta({ description: 'In-cluster URL of the registry, e.g. http://main.registries.svc:5000.' }),
    image: z
      .string()
      .max(512)
      .optional()
      .meta({ description: 'The registry image in use: spec.image, else the image the Registry already ran, else the operator default.' }),
    nodeAddress: z
      .string()
      .max(512)
      .optional()
      .meta({
        description:
          'host[:port] the nodes\' container runtimes can pull from (spec.hostnames[0], a LoadBalancer ingress, or localhost:<nodePort>); ' +
          'absent for a ClusterIP-only Registry without hostnames, which nodes cannot reach. `dockmaster node-config` writes the runtime files for it (docs/node-access.md).',
      }),
    readOnly: z.boolean().optional().meta({ description: 'Whether the running registry is read-only (during a garbage-collection window).' }),
    lastGarbageCollection: lastGarbageCollectionSchema.optional(),
    nextGarbageCollection: timestampSchema('When the next garbage-collection window is due.').optional(),
    garbageCollectionWindow: garbageCollectionWindowSchema.optional(),
    handledGcNow: z
      .string()
      .max(1024)
      .optional()
      .meta({ description: 'The value of the dockmaster.dev/gc-now annotation the last window opened for; set the annotation to a new value to open another.' }),
  })
  .meta({ description: 'Observed state of the registry, written by the operator.' });

export const registrySchema = resourceSchema(REGISTRY_KIND, registrySpecSchema, registryStatusSchema);

/** The spec as users write it (defaults not yet applied). */
export type RegistrySpecInput = z.input<typeof registrySpecSchema>;
/** The spec after parsing, with every default applied. */
export type RegistrySpec = z.output<typeof registrySpecSchema>;
/** The spec with its image resolved (managed-registry/registry-image.ts): what the renderers take. */
export type ResolvedRegistrySpec = RegistrySpec & { image: string };
export type RegistryStorage = z.output<typeof registryStorageSchema>;
export type RegistryService = z.output<typeof registryServiceSchema>;
export type RegistryProxy = z.output<typeof registryProxySchema>;
export type GarbageCollectionSpec = z.output<typeof garbageCollectionSpecSchema>;
export type RegistryStatus = z.output<typeof registryStatusSchema>;
export type RegistryInput = z.input<typeof registrySchema>;
export type Registry = z.output<typeof registrySchema>;

/** Parses a Registry document (from a file or the apiserver); errors name each field. */
export function parseRegistry(obj: unknown, source = 'Registry'): Registry {
  return parseWithSchema(registrySchema, obj, source);
}
