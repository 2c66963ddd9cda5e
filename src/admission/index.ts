// The admission module's public surface, for the operator, the `webhook` command and the Registry controller.
export { AllowEntryError, allowEntrySchema, describeAllowList, findAllowingEntry, parseAllowEntry, type AllowEntry } from './allow-list.js';
export {
  AdmissionPolicyHolder,
  buildAdmissionPolicy,
  buildAllowList,
  type AdmissionPolicy,
  type AllowListProblem,
  type RegistryAdmissionSource,
} from './policy.js';
export { decideAdmission, judgeImage, type AdmissionDecision, type AdmissionSubject, type AdmissionVerdict } from './decision.js';
export { AdmissionReviewError, answerAdmissionReview, parseAdmissionReview, type AdmissionReviewResponse } from './admission-review.js';
export { checkedKinds, extractContainerImages, MalformedObjectError, type ContainerImage } from './workload-images.js';
export { buildWebhookServer, type WebhookServer, type WebhookServerDeps } from './webhook-server.js';
export { FileCertificateSource, MutableCertificateSource, type CertificateSource, type ServingCertificate } from './certificate-source.js';
export {
  createCertificateAuthority,
  issueServingCertificate,
  readCertificateFacts,
  webhookServiceDnsNames,
  type CertificateFacts,
  type IssuedCertificate,
} from './certs/issue-certificates.js';
export { DEFAULT_CERTIFICATE_LIFETIMES, planCertificateRotation, type RotationPlan, type RotationState, type RotationStep } from './certs/rotation-plan.js';
export { CERTIFICATE_SECRET_KEYS, decodeCertificateSecret, encodeCertificateSecret, type StoredCertificates } from './certs/certificate-secret.js';
export { runCertificateRotation, type CertificateRotationInput, type CertificateRotationResult, type PublishedBundle } from './certs/run-rotation.js';
export { registryAdmissionSources, type RegistryForAdmission } from './registry-sources.js';
export {
  buildValidatingWebhookConfiguration,
  caBundlePems,
  isAppliedIn,
  NAMESPACE_NAME_LABEL,
  VALIDATE_PATH,
  WEBHOOK_NAME,
  WEBHOOK_RULES,
  type WebhookConfigurationSpec,
} from './webhook-configuration.js';
