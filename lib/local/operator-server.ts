// The operator API on this machine: the same handler the function URL runs, behind the same
// check AWS makes in front of it — a SigV4 signature by a known access key — with local keys
// in a file (made by `revoker operator credentials`) standing in for IAM. Served on 127.0.0.1,
// or called in this process (`--deployed local`), through the same verification either way.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import * as z from 'zod';
import { callerOf } from '../domain/access.ts';
import { type PlainRequest, verifySignature } from '../sigv4.ts';
import { readBody } from './approval-server.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { exclusively } from './file-lock.ts';

export type OperatorHandler = (
  event: APIGatewayProxyEventV2WithIAMAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const KeysSchema = z.record(
  z.string().regex(/^AKIA[A-Z0-9]{16}$/),
  z.object({ secretAccessKey: z.string().min(32), arn: z.string().min(1) }),
);

/** Local access keys, each for one IAM identity: the stand-in for IAM's credentials. */
export class OperatorCredentials {
  constructor(readonly file: string) {}

  async keys(): Promise<z.infer<typeof KeysSchema>> {
    try {
      return KeysSchema.parse(JSON.parse(await readFile(this.file, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  /** A new access key for `arn` (an IAM user or role session ARN), kept owner-only in the file. */
  mint(arn: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    callerOf(arn);
    return exclusively(this.file, async () => {
      const keys = await this.keys();
      const accessKeyId = `AKIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`;
      const secretAccessKey = randomBytes(30).toString('base64url');
      keys[accessKeyId] = { secretAccessKey, arn };
      await writeFileAtomic(this.file, `${JSON.stringify(keys, null, 2)}\n`, 0o600);
      return { accessKeyId, secretAccessKey };
    });
  }
}

function reply(statusCode: number, error: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error }) };
}

/**
 * One request to the operator handler, as the function URL passes it on: refused (403, as
 * AWS answers) unless signed by a known local key; else with that key's identity in the context.
 */
export async function callSigned(
  handler: OperatorHandler,
  credentials: OperatorCredentials,
  request: PlainRequest,
): Promise<APIGatewayProxyStructuredResultV2> {
  const keys = await credentials.keys();
  const check = await verifySignature(request, (id) => keys[id]?.secretAccessKey ?? null);
  if (!check.ok) return reply(403, check.reason);
  const arn = keys[check.accessKeyId]!.arn;
  const caller = callerOf(arn);
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.url.pathname,
    rawQueryString: request.url.search.slice(1),
    headers: request.headers,
    requestContext: {
      accountId: caller.accountId,
      http: {
        method: request.method,
        path: request.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? '',
      },
      authorizer: {
        iam: {
          accessKey: check.accessKeyId,
          accountId: caller.accountId,
          callerId: caller.sessionName ? `AROALOCAL:${caller.sessionName}` : 'AIDALOCAL',
          cognitoIdentity: null,
          principalOrgId: '',
          userArn: arn,
          userId: caller.sessionName ? `AROALOCAL:${caller.sessionName}` : 'AIDALOCAL',
        },
      },
    },
    body: request.body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
  return handler(event, { functionName: 'revoker-operator', awsRequestId: 'local' } as Context);
}

export interface OperatorServer {
  url: string;
  close(): Promise<void>;
}

/** Serve the operator API on 127.0.0.1 (`port` 0 picks a free one). */
export async function serveOperator(
  handler: OperatorHandler,
  credentials: OperatorCredentials,
  port: number,
): Promise<OperatorServer> {
  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(',') : (value ?? ''),
        ]),
      );
      const result = await callSigned(handler, credentials, {
        method: request.method ?? 'GET',
        url,
        headers,
        body: await readBody(request),
      });
      response
        .writeHead(result.statusCode ?? 200, result.headers as Record<string, string>)
        .end(result.body ?? '');
    } catch (error) {
      response
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `the operator API failed: ${(error as Error).message}` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
