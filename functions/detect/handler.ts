// Detect: EventBridge delivers one CloudTrail event; start at most one case per credential.
// A malformed event is rejected with its reason (and, deployed, lands in the dead-letter queue).
import middy from '@middy/core';
import { aws, deployed } from '../../lib/aws/deployed.ts';
import { type DetectDependencies, detect } from '../../lib/usecases/detect.ts';

export function createDetectHandler(deps: DetectDependencies) {
  return middy(async (event: unknown) => detect(event, deps));
}

export const handler = deployed(async () =>
  createDetectHandler({
    workflow: aws.workflow(),
    config: await aws.config(),
    deadLetters: aws.deadLetters(),
    directory: aws.directory(),
  }),
);
