// Escalate: page the on-call with signed links and record the pending decision. Runs as a
// waitForTaskToken task: its return value is not the task's result, the answer is.
import { config, deployed, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { iam } from '../../lib/compose/aws/iam.ts';
import { notifier } from '../../lib/compose/aws/notifier.ts';
import { signingKeys } from '../../lib/compose/aws/secrets.ts';
import { createEscalateHandler } from '../../lib/handlers/escalate.ts';

export const handler = deployed('escalate', async () =>
  createEscalateHandler({
    cases: cases(),
    clock: systemClock,
    config: await config(),
    iam: await iam(),
    notifier: notifier(),
    keys: signingKeys(),
  }),
);
