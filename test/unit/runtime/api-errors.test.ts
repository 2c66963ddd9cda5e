import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiErrorDetail, isNamespaceTerminating } from '../../../src/runtime/kube-client.js';

const terminating = {
  kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403,
  message: 'events "x" is forbidden: unable to create new content in namespace t because it is being terminated',
  details: { name: 'x', kind: 'events', causes: [{ reason: 'NamespaceTerminating', message: 'namespace t is being terminated', field: 'metadata.namespace' }] },
};
const rbac = { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'deployments.apps is forbidden: User "u" cannot patch resource "deployments"' };

describe('apiErrorDetail', () => {
  it('takes the Status message from a parsed or a text body', () => {
    expect(apiErrorDetail(new ApiException(403, 'HTTP 403', rbac, {}))).toBe(rbac.message);
    expect(apiErrorDetail(new ApiException(403, 'HTTP 403', JSON.stringify(rbac), {}))).toBe(rbac.message);
  });

  it('falls back to the text body, then to the error message', () => {
    expect(apiErrorDetail(new ApiException(502, 'HTTP 502', '<html>bad gateway</html>', {}))).toBe('<html>bad gateway</html>');
    expect(apiErrorDetail(new ApiException(500, 'HTTP 500', '{"kind":"Status"}', {}))).toBe('{"kind":"Status"}');
    expect(apiErrorDetail(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toBe('connect ECONNREFUSED 127.0.0.1:6443');
  });
});

describe('isNamespaceTerminating', () => {
  it('is true only for a 403 whose causes say NamespaceTerminating', () => {
    expect(isNamespaceTerminating(new ApiException(403, 'HTTP 403', terminating, {}))).toBe(true);
    expect(isNamespaceTerminating(new ApiException(403, 'HTTP 403', JSON.stringify(terminating), {}))).toBe(true);
    expect(isNamespaceTerminating(new ApiException(403, 'HTTP 403', rbac, {}))).toBe(false);
    expect(isNamespaceTerminating(new ApiException(409, 'HTTP 409', terminating, {}))).toBe(false);
    expect(isNamespaceTerminating(new Error('socket hang up'))).toBe(false);
  });
});
