// `Grant Requested` events (revoker.jit): an announcement of a request made through the
// operator API, never a grant by itself. A recorded request an interruption left approved is
// finished; anything else is set aside in the dead-letter queue with the reason.
import { deployed } from '../../lib/compose/aws/deployed.ts';
import { operatorDependencies } from '../../lib/compose/aws/operator.ts';
import { deadLetters } from '../../lib/compose/aws/sqs.ts';
import { createGrantHandler } from '../../lib/handlers/grant.ts';

export const handler = deployed('grant', async () =>
  createGrantHandler({ ...(await operatorDependencies()), deadLetters: deadLetters() }),
);
