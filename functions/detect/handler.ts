// Detect: EventBridge delivers one CloudTrail event; it opens, joins or raises its credential's one open case.
// A malformed event is rejected with its reason (and, deployed, lands in the dead-letter queue).
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createDetectHandler } from '../../lib/handlers/detect.ts';

export const handler = deployed('detect', async () =>
  createDetectHandler({
    cases: aws.cases(),
    workflow: aws.workflow(),
    clock: systemClock,
    callbacks: aws.callbacks(),
    config: await aws.config(),
    deadLetters: aws.deadLetters(),
    directory: aws.directory(),
  }),
);
