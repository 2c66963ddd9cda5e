import { describe, expect, it } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import { findSpecProblems, referencedSecretNames } from '../../../src/managed-registry/spec-problems.js';
import { specWith } from './registry-fixture.js';

const secrets: Record<string, V1Secret> = {
  users: { data: { htpasswd: 'dTo=' } },
  'users-wrong-key': { data: { passwd: 'dTo=' } },
  cert: { type: 'kubernetes.io/tls', data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' } },
  'cert-no-key': { data: { 'tls.crt': 'Yw==' } },
  s3: { data: { accessKey: 'YQ==', secretKey: 'cw==' } },
};
const lookup = (name: string): V1Secret | undefined => secrets[name];

describe('findSpecProblems', () => {
  const cases: Array<{ name: string; spec: object; reasons: string[]; mentions?: string[] }> = [
    { name: 'a plain PVC registry is fine', spec: {}, reasons: [] },
    { name: 'an existing htpasswd Secret is fine', spec: { auth: { htpasswdSecret: 'users' } }, reasons: [] },
    { name: 'a missing htpasswd Secret', spec: { auth: { htpasswdSecret: 'nope' } }, reasons: ['SecretMissing'], mentions: ['"nope"', 'spec.auth.htpasswdSecret', 'htpasswd -Bbn'] },
    { name: 'an htpasswd Secret without the htpasswd key', spec: { auth: { htpasswdSecret: 'users-wrong-key' } }, reasons: ['SecretInvalid'], mentions: ['lacks key(s) htpasswd'] },
    { name: 'an existing TLS Secret is fine', spec: { tls: { secretName: 'cert' } }, reasons: [] },
    { name: 'a missing TLS Secret', spec: { tls: { secretName: 'gone' } }, reasons: ['SecretMissing'], mentions: ['kubectl create secret tls gone'] },
    { name: 'a TLS Secret without tls.key', spec: { tls: { secretName: 'cert-no-key' } }, reasons: ['SecretInvalid'], mentions: ['tls.key'] },
    { name: 'missing S3 credentials', spec: { storage: { s3: { bucket: 'b', region: 'r', secretRef: { name: 'other' } } } }, reasons: ['SecretMissing'] },
    { name: 'present S3 credentials', spec: { storage: { s3: { bucket: 'b', region: 'r', secretRef: { name: 's3' } } } }, reasons: [] },
    { name: 'RWO PVC with 2 replicas', spec: { replicas: 2 }, reasons: ['InvalidStorage'], mentions: ['ReadWriteMany', 'spec.replicas to 1'] },
    { name: 'RWX PVC with 2 replicas is fine', spec: { replicas: 2, storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteMany'] } } }, reasons: [] },
    { name: 'emptyDir with 2 replicas', spec: { replicas: 2, storage: { emptyDir: {} } }, reasons: ['InvalidStorage'], mentions: ['emptyDir'] },
    { name: 's3 with 3 replicas is fine', spec: { replicas: 3, storage: { s3: { bucket: 'b', region: 'r' } } }, reasons: [] },
    { name: 'two storage kinds at once', spec: { storage: { pvc: { size: '1Gi' }, emptyDir: {} } }, reasons: ['InvalidStorage'], mentions: ['exactly one'] },
    {
      name: 'every problem is reported at once',
      spec: { replicas: 2, auth: { htpasswdSecret: 'nope' }, tls: { secretName: 'gone' } },
      reasons: ['InvalidStorage', 'SecretMissing', 'SecretMissing'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problems = findSpecProblems(specWith(c.spec as never), lookup);
      expect(problems.map((p) => p.reason)).toEqual(c.reasons);
      for (const text of c.mentions ?? []) expect(problems.map((p) => p.message).join(' ')).toContain(text);
    });
  }
});

describe('referencedSecretNames', () => {
  it('lists the user Secrets the pods need', () => {
    expect(referencedSecretNames(specWith({ auth: { htpasswdSecret: 'u' }, tls: { secretName: 't' } } as never))).toEqual(['u', 't']);
    expect(referencedSecretNames(specWith())).toEqual([]);
  });
});
