import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRootLogger, redactCredentials } from '../../../src/logging/logger.js';
import { RegistryApiError } from '../../../src/registry/client/index.js';

const SECRETS = ['Basic dXNlcjpodW50ZXIy', 'Bearer eyJhbGciOi.secret.token', 'hunter2', 'AKIAEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG', 'ZG9ja2VyOnB3ZA=='];

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    text: () => text,
  };
}

describe('credentials never reach a log line', () => {
  it('redacts credential keys at any depth, in objects, arrays and errors with causes', async () => {
    const out = capture();
    const log = createRootLogger({ level: 'debug', destination: out.stream });
    const cause = Object.assign(new Error('upstream said no'), { headers: { authorization: SECRETS[0], 'www-authenticate': 'Bearer realm="x"' } });
    const error = new RegistryApiError({ code: 'DM_ERR_REGISTRY_AUTH', method: 'GET', url: 'https://r.example.com/v2/', message: 'refused', cause });
    log.error({ err: error }, 'Failed');
    log.info({ request: { headers: { Authorization: SECRETS[1] } }, credentials: { username: 'u', password: SECRETS[2] } }, 'Nested');
    log.info({ config: { auths: { 'r.example.com': { auth: SECRETS[5], identitytoken: SECRETS[1] } } } }, 'Docker config');
    log.info({ s3: [{ accessKey: SECRETS[3], secretKey: SECRETS[4] }] }, 'S3');
    log.info({ token: SECRETS[1] }, 'Top level');
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain('[Redacted]');
    expect(text).toContain('upstream said no'); // the error is still logged, cause and all
    expect(text).toContain('"username":"u"');
  });

  it('is bounded on cycles and depth', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redactCredentials(cyclic)).toEqual({ a: 1, self: '[Circular]' });
    let deep: Record<string, unknown> = { password: 'x' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    expect(JSON.stringify(redactCredentials(deep))).toContain('[Truncated]');
  });
});
