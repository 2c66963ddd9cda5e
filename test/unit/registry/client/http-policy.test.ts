import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, Semaphore } from '../../../../src/registry/client/http.js';
import { errorFromResponse } from '../../../../src/registry/client/response-errors.js';
import { REGISTRY_ERROR_CODES } from '../../../../src/registry/client/errors.js';

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per retry, jitters within [½, 1] and is capped', () => {
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(400);
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(200);
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000);
  });
});

describe('Semaphore', () => {
  it('never lets more than the limit hold a slot', async () => {
    const semaphore = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await semaphore.acquire();
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        release();
        release(); // a double release must not free a second slot
      }),
    );
    expect(peak).toBe(3);
  });
});

describe('errorFromResponse', () => {
  const json = (body: unknown) => Buffer.from(JSON.stringify(body));
  const ctx = { method: 'DELETE', url: 'http://r/v2/app/manifests/sha256:x' };

  // Both bodies measured on distribution 2.8.2.
  it('says how to enable deletes on 405 UNSUPPORTED', () => {
    const error = errorFromResponse(ctx, {
      status: 405,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: json({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] }),
    });
    expect(error.code).toBe(REGISTRY_ERROR_CODES.deleteDisabled);
    expect(error.registryCode).toBe('UNSUPPORTED');
    expect(error.message).toContain('storage.delete.enabled: true');
    expect(error.message).toContain('REGISTRY_STORAGE_DELETE_ENABLED=true');
    expect(error.message).toContain('read-only');
  });

  it('recognises read-only mode by its plain-text 405 with Allow: GET, HEAD', () => {
    const error = errorFromResponse(ctx, { status: 405, headers: { allow: 'GET, HEAD' }, body: Buffer.from('Method not allowed\n') });
    expect(error.code).toBe(REGISTRY_ERROR_CODES.readOnly);
    expect(error.message).toMatch(/read-only mode/);
  });

  it('keeps the registry code of a 404 and explains 401 with who we were', () => {
    const notFound = errorFromResponse(ctx, { status: 404, headers: {}, body: json({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }) });
    expect(notFound).toMatchObject({ code: REGISTRY_ERROR_CODES.notFound, registryCode: 'MANIFEST_UNKNOWN', status: 404, method: 'DELETE' });
    const denied = errorFromResponse({ ...ctx, authDescription: 'as user "bob"' }, { status: 401, headers: {}, body: json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }) });
    expect(denied.code).toBe(REGISTRY_ERROR_CODES.auth);
    expect(denied.message).toMatch(/as user "bob"/);
  });
});
