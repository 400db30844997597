// Escalate: page the on-call with signed links and record the pending decision. Runs as a
// waitForTaskToken task: its return value is not the task's result, the answer is.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createEscalateHandler } from '../../lib/handlers/escalate.ts';

export const handler = deployed('escalate', async () =>
  createEscalateHandler({
    cases: aws.cases(),
    clock: systemClock,
    config: await aws.config(),
    iam: await aws.iam(),
    notifier: aws.notifier(),
    keys: aws.signingKeys(),
  }),
);
