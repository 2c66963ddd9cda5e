import * as z from 'zod';

/**
 * Shapes of what a v2 registry sends back. Every body is checked against one of these before the
 * client uses it, so a malformed answer becomes a RegistryApiError naming the field, not a crash
 * deep inside the retention engine. Unknown fields are kept out (zod strips them): we read only
 * what we need.
 */

const digestString = z.string().regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'not a digest');

export const platformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
});

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestString,
  size: z.number().int().nonnegative(),
  platform: platformSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
  urls: z.array(z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

/** OCI image manifest or Docker v2 schema 2 manifest (same shape). */
export const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

/** OCI image index or Docker manifest list (same shape). */
export const imageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageIndex = z.infer<typeof imageIndexSchema>;

/**
 * The image config fields the retention engine reads. `created` stays a raw string (or absent):
 * reproducible builds write 1970 or nothing, and deciding what that means is the engine's job.
 */
export const imageConfigSchema = z.object({
  created: z.string().optional(),
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
});
export type ImageConfig = z.infer<typeof imageConfigSchema>;

export const catalogPageSchema = z.object({
  repositories: z.array(z.string()).nullish(),
});

/** distribution answers `"tags": null` for a repository whose tags were all deleted. */
export const tagsPageSchema = z.object({
  name: z.string(),
  tags: z.array(z.string()).nullish(),
});

/** The v2 error body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"...","detail":...}]}`. */
export const errorBodySchema = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() })),
});

/** Token server answer (docker token spec): `token`, or the OAuth2 name `access_token`. */
export const tokenResponseSchema = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
  })
  .refine((body) => body.token !== undefined || body.access_token !== undefined, {
    message: 'neither "token" nor "access_token" is present',
  });
