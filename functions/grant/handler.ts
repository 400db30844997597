// `Grant Requested` events (revoker.jit): an announcement of a request made through the
// operator API, never a grant by itself. A recorded request an interruption left approved is
// finished; anything else is set aside in the dead-letter queue with the reason.
import { aws, deployed, operatorDependencies } from '../../lib/aws/deployed.ts';
import { createGrantHandler } from '../../lib/handlers/grant.ts';

export const handler = deployed('grant', async () =>
  createGrantHandler({ ...(await operatorDependencies()), deadLetters: aws.deadLetters() }),
);
