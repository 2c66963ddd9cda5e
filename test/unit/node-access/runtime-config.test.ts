import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { nodeAddressOf, renderNodeConfig, type NodeRegistry } from '../../../src/node-access/runtime-config.js';

const plain: NodeRegistry = { key: 'registries/main', address: 'registry.example.com:5000', addressSource: 'spec.hostnames[0]', scheme: 'http' };
const tls: NodeRegistry = { key: 'team/secure', address: 'secure.example.com', addressSource: 'spec.hostnames[0]', scheme: 'https', caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };

describe('renderNodeConfig', () => {
  it('writes a containerd hosts.toml per host that parses as TOML and points at the registry, with its CA', () => {
    const files = renderNodeConfig([plain, tls], ['containerd']);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/containerd/certs.d/registry.example.com:5000/hosts.toml',
      '/etc/containerd/certs.d/secure.example.com/ca.crt',
      '/etc/containerd/certs.d/secure.example.com/hosts.toml',
    ]);
    expect(parse(files[0]!.content)).toEqual({ server: 'http://registry.example.com:5000', host: { 'http://registry.example.com:5000': { capabilities: ['pull', 'resolve'] } } });
    expect(parse(files[2]!.content)).toEqual({
      server: 'https://secure.example.com',
      host: { 'https://secure.example.com': { capabilities: ['pull', 'resolve'], ca: '/etc/containerd/certs.d/secure.example.com/ca.crt' } },
    });
    expect(files[1]!.content).toBe(tls.caPem);
  });

  it('writes CRI-O registries.conf.d entries (plain HTTP is insecure = true) and the CA under containers/certs.d', () => {
    const files = renderNodeConfig([plain, tls], ['crio']);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/containers/certs.d/secure.example.com/ca.crt',
      '/etc/containers/registries.conf.d/dockmaster-registries-main.conf',
      '/etc/containers/registries.conf.d/dockmaster-team-secure.conf',
    ]);
    expect(parse(files[1]!.content)).toEqual({ registry: [{ location: 'registry.example.com:5000', insecure: true }] });
    expect(parse(files[2]!.content)).toEqual({ registry: [{ location: 'secure.example.com', insecure: false }] });
  });
});

describe('nodeAddressOf', () => {
  it('prefers a hostname, then a LoadBalancer ingress, then a NodePort on localhost; a ClusterIP alone has none', () => {
    expect(nodeAddressOf(['r.example.com'], { type: 'NodePort', ports: [{ port: 5000, nodePort: 30500 }] }).address).toBe('r.example.com');
    expect(nodeAddressOf([], { type: 'LoadBalancer', ports: [{ port: 5000, nodePort: 30500 }], loadBalancerIngress: [{ ip: '203.0.113.7' }] }).address).toBe('203.0.113.7:5000');
    expect(nodeAddressOf([], { type: 'LoadBalancer', ports: [{ port: 5000, nodePort: 30500 }] }).address).toBe('localhost:30500');
    expect(nodeAddressOf(undefined, { type: 'NodePort', ports: [{ port: 5000, nodePort: 30500 }] }).address).toBe('localhost:30500');
    const none = nodeAddressOf([], { type: 'ClusterIP', ports: [{ port: 5000 }] });
    expect(none.address).toBeUndefined();
    expect('problem' in none && none.problem).toMatch(/spec\.hostnames.*NodePort or LoadBalancer/);
  });
});
