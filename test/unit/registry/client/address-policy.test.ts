import { describe, expect, it } from 'vitest';
import { AddressPolicy, externalRegistriesConfigSchema } from '../../../../src/registry/client/address-policy.js';

const policy = (config: object = {}) => new AddressPolicy(externalRegistriesConfigSchema.parse(config));

describe('AddressPolicy', () => {
  it('refuses loopback, link-local and unspecified addresses in every spelling the URL parser folds', () => {
    const p = policy();
    for (const url of ['http://127.0.0.1:5000', 'http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/', 'http://0.0.0.0/']) {
      expect(p.refuseHost(new URL(url).hostname), url).toBeDefined();
    }
    expect(p.refuseHost('203.0.113.7')).toBeUndefined();
    expect(p.refuseHost('registry.example.com')).toBeUndefined();
  });
  it('refuses in-cluster names unless listed, and the admin can list hosts and ranges', () => {
    expect(policy().refuseHost('main.team-a.svc')).toMatch(/in-cluster name/);
    expect(policy().refuseHost('main.team-a.svc.cluster.local')).toMatch(/in-cluster name/);
    expect(policy({ allowedHosts: ['main.team-a.svc'] }).refuseHost('main.team-a.svc')).toBeUndefined();
    expect(policy({ allowedHosts: ['*.example.com'] }).refuseHost('evil.io')).toMatch(/not in externalRegistries.allowedHosts/);
    expect(policy({ allowedHosts: ['*.example.com'] }).refuseHost('r.example.com')).toBeUndefined();
    expect(policy({ allowedCidrs: ['127.0.0.1/32'] }).refuseHost('127.0.0.1')).toBeUndefined();
    expect(policy({ deniedCidrs: ['10.96.0.0/12'] }).refuseHost('10.96.0.1')).toMatch(/deniedCidrs/);
    expect(policy({ deniedCidrs: ['10.96.0.0/12'] }).refuseAddress('::ffff:10.96.0.1')).toMatch(/deniedCidrs/);
  });
  it('refuses a name that resolves to a refused address, when connecting', async () => {
    const result = await new Promise<{ error: NodeJS.ErrnoException | null }>((resolve) => policy().lookup('localhost', {}, (error) => resolve({ error })));
    expect(result.error?.code).toBe('EDMREFUSED');
    expect(result.error?.message).toMatch(/localhost: address (127\.0\.0\.1|::1)/);
  });
  it('refuses a malformed range in the configuration', () => {
    expect(() => externalRegistriesConfigSchema.parse({ deniedCidrs: ['10.0.0.0/40'] })).toThrow(/address range/);
  });
});
