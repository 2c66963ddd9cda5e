import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateFileError, FileCertificateSource, type ServingCertificate } from '../../../src/admission/certificate-source.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dockmaster-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lays out files the way the kubelet updates a Secret volume: ..data → a timestamped folder, swapped atomically. */
function writeSecretVolume(version: string): void {
  const folder = path.join(dir, `..${version}`);
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'tls.crt'), `cert ${version}`);
  writeFileSync(path.join(folder, 'tls.key'), `key ${version}`);
  symlinkSync(folder, path.join(dir, '..data_tmp'));
  renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
}

describe('FileCertificateSource', () => {
  it('reports a new pair when the kubelet swaps the Secret volume symlink', async () => {
    writeSecretVolume('v1');
    symlinkSync('..data/tls.crt', path.join(dir, 'tls.crt'));
    symlinkSync('..data/tls.key', path.join(dir, 'tls.key'));
    const source = new FileCertificateSource(path.join(dir, 'tls.crt'), path.join(dir, 'tls.key'), { pollIntervalMs: 20 });
    try {
      expect(source.current()).toEqual({ cert: 'cert v1', key: 'key v1' });
      const seen = new Promise<ServingCertificate>((resolve) => source.subscribe(resolve));
      writeSecretVolume('v2-longer');
      expect(await seen).toEqual({ cert: 'cert v2-longer', key: 'key v2-longer' });
    } finally {
      source.close();
    }
  });

  it('fails clearly when a file is missing', () => {
    expect(() => new FileCertificateSource(path.join(dir, 'missing.crt'), path.join(dir, 'tls.key'))).toThrow(CertificateFileError);
    expect(() => new FileCertificateSource(path.join(dir, 'missing.crt'), path.join(dir, 'tls.key'))).toThrow(/cannot read .*missing.crt/);
  });
});
