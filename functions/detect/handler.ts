// Detect: EventBridge delivers one CloudTrail event; it opens, joins or raises its credential's one open case.
// A malformed event is rejected with its reason (and, deployed, lands in the dead-letter queue).
import { config, deployed, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { directory } from '../../lib/compose/aws/identity-store.ts';
import { deadLetters } from '../../lib/compose/aws/sqs.ts';
import { callbacks, workflow } from '../../lib/compose/aws/step-functions.ts';
import { createDetectHandler } from '../../lib/handlers/detect.ts';

export const handler = deployed('detect', async () =>
  createDetectHandler({
    cases: cases(),
    workflow: workflow(),
    clock: systemClock,
    callbacks: callbacks(),
    config: await config(),
    deadLetters: deadLetters(),
    directory: directory(),
  }),
);
