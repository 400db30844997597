// The approval function served on localhost: each HTTP request becomes the API Gateway
// (payload 2.0) event the deployed function receives, so the page a browser sees locally is
// the deployed page. Bound to the loopback interface only.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export type ApprovalHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Read at most this much of a request body; the handler refuses anything this large. */
const BODY_LIMIT = 64 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function eventFor(request: IncomingMessage, url: URL, body: string): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : (value ?? ''),
    ]),
  );
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    queryStringParameters: Object.fromEntries(url.searchParams),
    headers,
    requestContext: {
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
    },
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

export interface ApprovalServer {
  /** The page's address, e.g. http://127.0.0.1:8787/approval */
  url: string;
  close(): Promise<void>;
}

/** Serve `handler` at `path` on 127.0.0.1 (`port` 0 picks a free one). */
export async function serveApprovals(
  handler: ApprovalHandler,
  port: number,
  path = '/approval',
): Promise<ApprovalServer> {
  const context = { functionName: 'revoker-approval', awsRequestId: 'local' } as Context;
  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== path) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const body = request.method === 'POST' ? await readBody(request) : '';
      const result = await handler(eventFor(request, url, body), context);
      response
        .writeHead(result.statusCode ?? 200, result.headers as Record<string, string>)
        .end(result.body ?? '');
    } catch (error) {
      response
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`approval page failed: ${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}${path}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
