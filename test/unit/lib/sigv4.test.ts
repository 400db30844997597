import { describe, expect, it } from 'vitest';
import { type PlainRequest, signingScopeOf, signRequest, verifySignature } from '../../../lib/sigv4.ts';

const KEY = { accessKeyId: 'AKIALOCAL00000000001', secretAccessKey: 'a-local-secret-of-some-length-000000' };
const secretOf = (id: string) => (id === KEY.accessKeyId ? KEY.secretAccessKey : null);
const AT = new Date('2026-01-15T12:00:00Z');

async function signed(overrides: Partial<PlainRequest> = {}): Promise<PlainRequest> {
  const request: PlainRequest = {
    method: 'POST',
    url: new URL('http://127.0.0.1:8788/runbooks/first-seen/runs'),
    headers: { 'content-type': 'application/json' },
    body: '{"parameters":{"account":"111122223333"}}',
    ...overrides,
  };
  const headers = await signRequest(request, KEY, { service: 'lambda', region: 'us-east-1' }, AT);
  return {
    ...request,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
  };
}

describe('SigV4 for the operator API', () => {
  it('verifies a request signed with a known key, naming the key', async () => {
    expect(await verifySignature(await signed(), secretOf, AT)).toEqual({
      ok: true,
      accessKeyId: KEY.accessKeyId,
    });
  });

  it('refuses a changed body, path, method or query, an unknown key, a wrong secret, and an old signature', async () => {
    const request = await signed();
    const refusals = await Promise.all([
      verifySignature({ ...request, body: '{"parameters":{"account":"999999999999"}}' }, secretOf, AT),
      verifySignature(
        { ...request, url: new URL('http://127.0.0.1:8788/runbooks/data-access/runs') },
        secretOf,
        AT,
      ),
      verifySignature({ ...request, method: 'GET' }, secretOf, AT),
      verifySignature(
        { ...request, url: new URL('http://127.0.0.1:8788/runbooks/first-seen/runs?x=1') },
        secretOf,
        AT,
      ),
      verifySignature(request, () => null, AT),
      verifySignature(request, () => 'another-secret-entirely-0000000000', AT),
      verifySignature(request, secretOf, new Date(AT.getTime() + 16 * 60_000)),
      verifySignature({ ...request, headers: { ...request.headers, authorization: '' } }, secretOf, AT),
    ]);

    expect(refusals.map((check) => (check.ok ? 'accepted' : check.reason))).toEqual([
      'the body does not match its signed hash',
      'the signature does not match (altered, or signed with another secret)',
      'the signature does not match (altered, or signed with another secret)',
      'the signature does not match (altered, or signed with another secret)',
      `the access key ${KEY.accessKeyId} is not known`,
      'the signature does not match (altered, or signed with another secret)',
      'the signature is more than 15 minutes from now',
      'the request is not signed with AWS Signature Version 4',
    ]);
  });

  it('covers every value of a repeated query name: a value added before the signed one is refused', async () => {
    const request = await signed({
      method: 'GET',
      url: new URL('http://127.0.0.1:8788/audit?days=1'),
      body: '',
    });
    const repeated = await signed({
      method: 'GET',
      url: new URL('http://127.0.0.1:8788/audit?days=90&days=1'),
      body: '',
    });

    expect(
      await verifySignature(
        { ...request, url: new URL('http://127.0.0.1:8788/audit?days=90&days=1') },
        secretOf,
        AT,
      ),
    ).toEqual({ ok: false, reason: 'the signature does not match (altered, or signed with another secret)' });
    expect(await verifySignature(repeated, secretOf, AT)).toEqual({ ok: true, accessKeyId: KEY.accessKeyId });
  });

  it('signs for the function URL’s region, as AWS checks it', () => {
    expect(signingScopeOf(new URL('https://abc123.lambda-url.eu-west-1.on.aws/'), 'us-east-1')).toEqual({
      service: 'lambda',
      region: 'eu-west-1',
    });
    expect(signingScopeOf(new URL('http://127.0.0.1:8788/'), 'us-east-1').region).toBe('us-east-1');
  });
});
