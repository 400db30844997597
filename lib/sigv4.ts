// AWS Signature Version 4 for the operator API: the CLI signs each request with the caller's
// credentials (AWS verifies it in front of the deployed function URL); the local operator
// server verifies the same signature against its own credential file. One signer for both,
// the SDK's own (@smithy/signature-v4), over Node's SHA-256.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or its HMAC, given a secret) in the shape the signer takes. */
class NodeSha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  private readonly secret: string | Buffer | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : bytes(secret);
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function bytes(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PlainRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** The service a Lambda function URL signs for, and its region (from the URL, else the given one). */
export function signingScopeOf(url: URL, fallbackRegion: string): { service: string; region: string } {
  const region = /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1] ?? fallbackRegion;
  return { service: 'lambda', region };
}

function signerFor(credentials: SigningCredentials, region: string, service: string) {
  return new SignatureV4({ credentials, region, service, sha256: NodeSha256 });
}

/** Every pair of the query, a repeated name with all its values: the signature covers them all. */
function queryOf(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    query[name] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

function toHttpRequest(request: PlainRequest) {
  return {
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    port: request.url.port ? Number(request.url.port) : undefined,
    path: request.url.pathname,
    query: queryOf(request.url.searchParams),
    headers: { ...request.headers, host: request.url.host },
    body: request.body,
  };
}

/** Sign a request; the headers to send with it (host, x-amz-date, the content hash, authorization). */
export async function signRequest(
  request: PlainRequest,
  credentials: SigningCredentials,
  scope: { service: string; region: string },
  at = new Date(),
): Promise<Record<string, string>> {
  const signed = await signerFor(credentials, scope.region, scope.service).sign(toHttpRequest(request), {
    signingDate: at,
  });
  return signed.headers as Record<string, string>;
}

export type SignatureCheck = { ok: true; accessKeyId: string } | { ok: false; reason: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** AWS refuses a signature more than 15 minutes from its own clock; so does the local server. */
const MAX_SKEW_MS = 15 * 60_000;

/**
 * Check a request's SigV4 signature as AWS would: signed with the secret of the access key it
 * names, over the headers it says it signed, within 15 minutes of now. `secretOf` gives the
 * secret of a key, or null for an unknown one.
 */
export async function verifySignature(
  request: PlainRequest,
  secretOf: (accessKeyId: string) => string | null,
  now = new Date(),
): Promise<SignatureCheck> {
  const header = request.headers.authorization ?? '';
  const parsed = AUTHORIZATION.exec(header);
  if (!parsed) return { ok: false, reason: 'the request is not signed with AWS Signature Version 4' };
  const [, accessKeyId, , region, service, signedHeaders, signature] = parsed;
  const secret = secretOf(accessKeyId!);
  if (secret === null) return { ok: false, reason: `the access key ${accessKeyId} is not known` };
  const stamp = request.headers['x-amz-date'] ?? '';
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!match) return { ok: false, reason: 'the request has no x-amz-date' };
  const signedAt = new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS)
    return { ok: false, reason: 'the signature is more than 15 minutes from now' };
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) return { ok: false, reason: 'the signature does not cover the host' };
  const headers: Record<string, string> = {};
  for (const name of names) {
    if (name === 'host') continue;
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `the signed header ${name} is missing` };
    headers[name] = value;
  }
  // The signed body hash must be the body's: a body changed in flight is refused.
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  if (headers['x-amz-content-sha256'] !== undefined && headers['x-amz-content-sha256'] !== bodyHash)
    return { ok: false, reason: 'the body does not match its signed hash' };
  const expected = await signRequest(
    { ...request, url: new URL(request.url), headers },
    { accessKeyId: accessKeyId!, secretAccessKey: secret },
    { region: region!, service: service! },
    signedAt,
  );
  const recomputed = AUTHORIZATION.exec(expected.authorization ?? '')?.[6] ?? '';
  const given = Buffer.from(signature!, 'hex');
  const wanted = Buffer.from(recomputed, 'hex');
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return { ok: false, reason: 'the signature does not match (altered, or signed with another secret)' };
  return { ok: true, accessKeyId: accessKeyId! };
}
