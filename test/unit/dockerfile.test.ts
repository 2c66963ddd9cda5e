import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_NODE_CONFIG_IMPORTS, NODE_HTTP_SHIM } from '../../scripts/bundle.js';

// No Docker engine runs here, so the image's static properties are checked on the Dockerfile.
interface Stage {
  from: string;
  name?: string;
  instructions: Array<{ op: string; args: string }>;
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const joined = text.replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const argText = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(argText);
      stages.push({ from: m?.[1] ?? '', name: m?.[2], instructions: [] });
    } else if (op.toUpperCase() === 'ARG' && stages.length === 0) {
      const [k = '', v = ''] = argText.split('=');
      args[k] = v;
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: argText });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
const final = dockerfile.stages.at(-1)!;
const resolveImage = (from: string) => from.replace(/\$\{(\w+)\}/g, (_, k: string) => dockerfile.args[k] ?? '');

describe('Dockerfile', () => {
  it('is multi-stage on a pinned Node 24 base, the version the tests run on', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      expect(resolveImage(stage.from)).toMatch(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
    }
    const tested = /DOCKMASTER_NODE_VERSION=(\S+)/.exec(readFileSync(new URL('../../scripts/node.sh', import.meta.url), 'utf8'))?.[1];
    expect(resolveImage(dockerfile.stages[0]!.from)).toBe(`node:${tested}-bookworm-slim`);
  });

  it('runs as a numeric non-root user', () => {
    const user = final.instructions.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
  });

  it('starts `dockmaster operator`', () => {
    const entrypoint = final.instructions.find((i) => i.op === 'ENTRYPOINT');
    const cmd = final.instructions.find((i) => i.op === 'CMD');
    expect(JSON.parse(entrypoint!.args)).toEqual(['node', '/app/bin/dockmaster.js']);
    expect(JSON.parse(cmd!.args)).toEqual(['operator']);
  });

  it('ships the bundle and no node_modules: nothing is installed in the runtime image', () => {
    // scripts/bundle.ts inlines every dependency; the image needs dist/, bin/, package.json (the version) and crds/.
    const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies.some((args) => /node_modules/.test(args))).toBe(false);
    expect(copies).toContain('--from=build /src/dist ./dist');
    const build = dockerfile.stages.find((s) => s.name === 'build');
    expect(build?.instructions.some((i) => i.op === 'RUN' && /npm run build/.test(i.args))).toBe(true);
    expect(final.instructions.some((i) => i.op === 'RUN')).toBe(false);
  });

  it('copies into the build stage every local file `npm run build` reads', () => {
    // The build stage sees only what it copies: a shim the bundle resolves but the stage lacks
    // fails `docker build` and no test that runs here (scripts/bundle-shims/ was missed once).
    const build = dockerfile.stages.find((s) => s.name === 'build')!;
    const copied = build.instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts/bundle.ts', 'src/cli/entry.ts', NODE_HTTP_SHIM, ...Object.values(CLIENT_NODE_CONFIG_IMPORTS)];
    const missing = needed.filter((file) => !copied.some((source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`)));
    expect(missing).toEqual([]);
  });

  it('carries OCI image labels', () => {
    const labels = final.instructions.filter((i) => i.op === 'LABEL').map((i) => i.args).join(' ');
    for (const key of ['title', 'description', 'licenses', 'source']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
  });
});
