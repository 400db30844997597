// The approval page, behind API Gateway (HTTP API, payload 2.0): GET shows a signed link's
// case, POST answers it. Locally the same handler is served on localhost.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PAGE_HEADERS, renderMessagePage } from '../domain/approval-page.ts';
import {
  type ApprovalPageDependencies,
  type PageResponse,
  showApprovalPage,
  submitApprovalAnswer,
} from '../usecases/approval-page.ts';

/** A form post is a link, an answer and a short reason: anything larger is refused unread. */
const MAX_BODY_BYTES = 16 * 1024;

function respond(page: PageResponse, allow?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: page.status,
    headers: { ...PAGE_HEADERS, ...(allow ? { allow } : {}) },
    body: page.html,
  };
}

function message(status: number, title: string, text: string): PageResponse {
  return { status, html: renderMessagePage(title, text) };
}

export function createApprovalHandler(deps: ApprovalPageDependencies) {
  return middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    if (method === 'GET') {
      const link = event.queryStringParameters?.link;
      if (!link) return respond(message(400, 'No link', 'Open the link from your page or message, whole.'));
      return respond(await showApprovalPage(link, deps));
    }
    if (method !== 'POST') return respond(message(405, 'Not allowed', 'Only GET and POST.'), 'GET, POST');
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (Buffer.byteLength(body) > MAX_BODY_BYTES)
      return respond(message(413, 'Too large', 'The form is larger than an answer can be.'));
    const form = new URLSearchParams(body);
    return respond(
      await submitApprovalAnswer(
        { link: form.get('link') ?? '', answer: form.get('answer') ?? '', reason: form.get('reason') ?? '' },
        deps,
      ),
    );
  });
}
