/**
 * The distribution image a new Registry runs when neither its spec nor the operator configuration
 * names one. Pinned, never `latest`: a registry must not change version under its data on a pod
 * restart. Its own module so the operator configuration and the CLI read it without building the
 * Registry schema (registry.ts), which `dockmaster admit` never needs.
 */
export const DEFAULT_REGISTRY_IMAGE = 'registry:2.8.3';
