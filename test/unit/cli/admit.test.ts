import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runAdmit, type AdmitOptions } from '../../../src/cli/admit.js';
import { main } from '../../../src/cli/main.js';
import { ALLOWED_IMAGE, DISALLOWED_IMAGE, admissionReview, cronJob, deployment, pod, podSpec } from '../admission/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dockmaster-admit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const yamlDocs = (...objects: unknown[]) => objects.map((o) => stringify(o)).join('---\n');

async function admit(options: Partial<AdmitOptions> & { file: string }, stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runAdmit({ allow: [], output: 'table', ...options }, { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, out, err };
}

const config = file(
  'config.yaml',
  stringify({ namespace: 'dockmaster-system', admission: { mode: 'enforce', allowedRegistries: ['registry.example.com:5000', 'docker.io/library'] } }),
);

describe('dockmaster admit', () => {
  it('exits 0 when every object is allowed, one row per object', async () => {
    const input = file('ok.yaml', yamlDocs(pod('team-a', 'web', podSpec({ containers: [ALLOWED_IMAGE] })), deployment('team-a', 'api', podSpec({ containers: ['nginx:1.27'] }))));
    const { code, out } = await admit({ config, file: input });
    expect(code).toBe(0);
    expect(out).toMatch(/^Pod\s+team-a\/web\s+allowed\s+all images from allowed sources$/m);
    expect(out).toMatch(/^Deployment\s+team-a\/api\s+allowed/m);
    expect(out).toContain('2 object(s): 2 allowed, 0 denied, 0 not checked (mode enforce)');
  });

  it('exits 1 when any object is denied, naming each offending container', async () => {
    const input = file(
      'mixed.yaml',
      yamlDocs(
        pod('team-a', 'web', podSpec({ containers: [ALLOWED_IMAGE] })),
        cronJob('team-a', 'nightly', podSpec({ containers: [DISALLOWED_IMAGE], init: ['Busybox'] })),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'team-a' } },
      ),
    );
    const { code, out } = await admit({ config, file: input });
    expect(code).toBe(1);
    expect(out).toContain('CronJob    team-a/nightly  DENIED   spec.jobTemplate.spec.template.spec.containers[0] "c0": image "evil.io/web:1.0" is not from an allowed source');
    expect(out).toContain('spec.jobTemplate.spec.template.spec.initContainers[0] "init0": image "Busybox" is not a valid image reference');
    expect(out).toContain('ConfigMap  team-a/cfg      skipped  ConfigMap does not run containers');
    expect(out).toContain('Allowed sources: registry.example.com:5000, docker.io/library');
  });

  it('--allow adds entries; --output json prints the decisions', async () => {
    const input = file('deny.json', JSON.stringify(pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] }))));
    expect((await admit({ config, file: input })).code).toBe(1);
    const { code, out } = await admit({ config, file: input, allow: ['evil.io'], output: 'json' });
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.summary).toEqual({ objects: 1, allowed: 1, denied: 0, notChecked: 0 });
    expect(parsed.results[0]).toMatchObject({ kind: 'Pod', namespace: 'team-a', name: 'web', allowed: true, verdict: 'allowed' });
  });

  it('evaluates AdmissionReviews and List items, read from stdin with -f -', async () => {
    const review = admissionReview({ object: pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] })) });
    const list = { apiVersion: 'v1', kind: 'List', items: [pod('kube-system', 'dns', podSpec({ containers: [DISALLOWED_IMAGE] }))] };
    const { code, out } = await admit({ config, file: '-', output: 'json' }, yamlDocs(review, list));
    expect(code).toBe(1);
    expect(JSON.parse(out).results.map((r: { verdict: string }) => r.verdict)).toEqual(['denied', 'exempt']);
  });

  it('warn mode from the configuration admits and reports the warnings', async () => {
    const warnConfig = file('warn.yaml', stringify({ admission: { mode: 'warn', allowedRegistries: ['docker.io/library'] } }));
    const input = file('warn-pod.yaml', yamlDocs(pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] }))));
    const { code, out } = await admit({ config: warnConfig, file: input, output: 'json' });
    expect(code).toBe(0);
    expect(JSON.parse(out).results[0].warnings[0]).toContain('image "evil.io/web:1.0" is not from an allowed source');
  });

  it.each([
    ['an unparsable file', () => ({ file: file('bad.yaml', 'kind: Pod\n  spec: [') }), /Invalid \S*bad.yaml:\n {2}- \(root\): not valid YAML or JSON at line 2, column 7: bad indentation/],
    ['a missing file', () => ({ file: path.join(dir, 'nope.yaml') }), /cannot read .*nope.yaml/],
    ['an object without kind', () => ({ file: file('nokind.yaml', 'metadata: {}\n') }), /document 1 is not a Kubernetes object/],
    ['an empty file', () => ({ file: file('empty.yaml', '') }), /no objects to check/],
    ['a malformed Pod', () => ({ file: file('malformed.yaml', stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: 'nginx' } })) }), /spec.containers is not a list/],
    ['a bad --allow entry', () => ({ file: config, allow: ['library/nginx'] }), /--allow: allow-list entry "library\/nginx" does not start with a registry host/],
    ['an invalid config', () => ({ file: config, config: file('badcfg.yaml', stringify({ admission: { mode: 'block', allowedRegistries: ['ghcr.io/Acme'] } })) }), /admission\.mode:[\s\S]*admission\.allowedRegistries\[0\]: allow-list entry "ghcr.io\/Acme" has an uppercase path segment/],
    ['an unknown config key', () => ({ file: config, config: file('typo.yaml', stringify({ admission: { allowedRegistry: ['ghcr.io'] } })) }), /allowedRegistry/],
  ])('exits 2 on %s, saying what is wrong', async (_what, options, message) => {
    const { code, err } = await admit(options());
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('main() exits 2 on bad flags and passes the command exit code through', async () => {
    expect(await main(['admit'])).toBe(2);
    expect(await main(['admit', '-f', config, '--output', 'yaml'])).toBe(2);
  });

  it('runs as a real process: npx tsx src/cli/entry.ts admit', async () => {
    const input = file('proc.yaml', yamlDocs(pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] }))));
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile('npx', ['tsx', 'src/cli/entry.ts', 'admit', '--allow', 'docker.io/library', '-f', input], { cwd: process.cwd() }, (error, stdout) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout });
      });
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Pod\s+team-a\/web\s+DENIED\s+spec\.containers\[0\] "c0": image "evil\.io\/web:1\.0" is not from an allowed source$/m);
  }, 60_000);
});
