/** The registry v2 client: what the retention engine, controllers and CLI import. */
export { RegistryV2Client, type RegistryV2ClientOptions, type ManifestHead, type ManifestResult } from './v2-client.js';
export { parseWwwAuthenticate, scopeForRequest, type AuthChallenge, type RegistryCredentials } from './auth.js';
export { parseDockerConfigJson, credentialsForRegistry, normalizeRegistryHost, type DockerConfigCredentials } from './docker-config.js';
export { RegistryApiError, RegistryClientConfigError, REGISTRY_ERROR_CODES, isRegistryNotFound, type RegistryErrorCode } from './errors.js';
export { MEDIA_TYPES, MANIFEST_ACCEPT, manifestKindOf, type ManifestKind } from './media-types.js';
export { digestOf, contentMatchesDigest, isVerifiableDigest } from './digest.js';
export { parseLinkHeader, nextPageUrl } from './pagination.js';
export type { RegistryRequestEvent } from './http.js';
export type { ParsedManifest } from './manifest-parsing.js';
export type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './schemas.js';
export { DEFAULT_REGISTRY_READ_LIMITS, isPerRepositoryLimit, limitExceeded, type RegistryReadLimits } from './read-limits.js';
export { AddressPolicy, externalRegistriesConfigSchema, type ExternalRegistriesConfig } from './address-policy.js';
