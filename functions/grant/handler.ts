// Grant just-in-time access asked for as an event (revoker.jit / Grant Requested): attach the
// policy and schedule the grant's end. A request that does not fit fails with its reason, and
// after Lambda's retries lands in the function's dead-letter queue.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { GrantRequestEventSchema } from '../../lib/domain/jit.ts';
import { durationSeconds } from '../../lib/domain/time.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type GrantDependencies, grantAccess } from '../../lib/usecases/jit.ts';

export function createGrantHandler(deps: GrantDependencies) {
  return middy(async (event: unknown) => {
    const { detail } = parseAtEdge(GrantRequestEventSchema, event, 'grant request');
    return grantAccess(
      {
        principalArn: detail.principalArn,
        policyArn: detail.policyArn,
        seconds: durationSeconds(detail.duration),
        requestedBy: detail.requestedBy,
        reason: detail.reason,
        region: detail.region,
      },
      deps,
    );
  });
}

export const handler = deployed(async () =>
  createGrantHandler({
    iam: aws.iam(),
    cases: aws.cases(),
    clock: systemClock,
    config: await aws.config(),
    scheduler: aws.scheduler(),
  }),
);
