// The operator API, behind a Lambda function URL with AuthType AWS_IAM: AWS verifies each
// request's SigV4 signature and passes the caller's ARN in the request context — that ARN is
// who they are. Locally, `revoker operator serve` verifies the same signature and fills in the
// same context. JSON in, JSON out; every route authorises through the access configuration.

import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type Caller, CallerError, groupsOf } from '../domain/access.ts';
import { AccountNotEnrolledError } from '../ports.ts';
import { RunbookParameterError } from '../runbooks/catalog.ts';
import {
  admitCaller,
  answerCaseAs,
  approveGrantRequest,
  listGrantRequests,
  type OffboardingDependencies,
  OperatorConflictError,
  OperatorNotFoundError,
  OperatorRefusedError,
  offboardAs,
  readAudit,
  refineAs,
  requestGrant,
  runRunbookAs,
} from '../usecases/operator.ts';

/** A request body is a small JSON document: anything larger is refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

function reply(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

const STATUS = new Map<string, number>([
  [OperatorRefusedError.name, 403],
  [OperatorNotFoundError.name, 404],
  [OperatorConflictError.name, 409],
  [RunbookParameterError.name, 400],
]);

type Route = (
  caller: Caller,
  match: RegExpExecArray,
  body: unknown,
  query: URLSearchParams,
) => Promise<unknown>;

export function createOperatorHandler(deps: OffboardingDependencies) {
  const routes: [string, RegExp, Route][] = [
    [
      'GET',
      /^\/grants$/,
      async (caller, _match, _body, query) => {
        if (groupsOf(caller, deps.config.access).length === 0)
          throw new OperatorRefusedError(`${caller.arn} is in no group of access.groups`);
        return listGrantRequests(deps, { days: Number(query.get('days') ?? '') || undefined });
      },
    ],
    ['POST', /^\/grants$/, (caller, _match, body) => requestGrant(caller, body, deps)],
    [
      'POST',
      /^\/grants\/(req-[0-9a-f]{24})\/approve$/,
      (caller, match) => approveGrantRequest(caller, match[1]!, deps),
    ],
    [
      'POST',
      /^\/cases\/([\w-]{1,64})\/answers$/,
      (caller, match, body) => answerCaseAs(caller, match[1]!, body, deps),
    ],
    [
      'POST',
      /^\/runbooks\/([a-z][a-z0-9-]{0,63})\/runs$/,
      (caller, match, body) => runRunbookAs(caller, match[1]!, body, deps),
    ],
    ['POST', /^\/offboard$/, (caller, _match, body) => offboardAs(caller, body, deps)],
    ['POST', /^\/refinements$/, (caller, _match, body) => refineAs(caller, body, deps)],
    [
      'GET',
      /^\/audit$/,
      (caller, _match, _body, query) =>
        readAudit(caller, { days: Number(query.get('days') ?? 7) || 7 }, deps),
    ],
  ];
  return middy(
    async (event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
      // No verified identity, no answer: the function URL's IAM auth (or the local server) sets it.
      const arn = event.requestContext?.authorizer?.iam?.userArn;
      if (!arn) return reply(401, { error: 'the request carries no verified identity (sign it with SigV4)' });
      let caller: Caller;
      try {
        caller = await admitCaller(arn, deps);
      } catch (error) {
        if (error instanceof CallerError) return reply(401, { error: error.message });
        if (error instanceof OperatorRefusedError || error instanceof AccountNotEnrolledError)
          return reply(403, { error: error.message });
        throw error;
      }
      const method = event.requestContext.http.method;
      const path = event.rawPath;
      const route = routes.find(([verb, pattern]) => verb === method && pattern.test(path));
      if (!route) return reply(404, { error: `no route ${method} ${path}` });
      const raw = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
        return reply(413, { error: 'the request body is too large' });
      let body: unknown = {};
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          return reply(400, { error: 'the request body is not JSON' });
        }
      }
      try {
        const result = await route[2](
          caller,
          route[1].exec(path)!,
          body,
          new URLSearchParams(event.rawQueryString ?? ''),
        );
        return reply(method === 'POST' ? 201 : 200, result);
      } catch (error) {
        const status = STATUS.get((error as Error).name);
        if (status === undefined) throw error;
        return reply(status, { error: (error as Error).message });
      }
    },
  );
}

// Offboarding starts the revocation workflow: the grant function, sharing the rest, does not.
