// End a just-in-time grant: thin edge around the expire-grant use case.
import { engine } from '../../lib/compose/aws/athena.ts';
import { config, deployed, runbooks, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { iam } from '../../lib/compose/aws/iam.ts';
import { createExpireGrantHandler } from '../../lib/handlers/expire-grant.ts';

export const handler = deployed('expire-grant', async () =>
  createExpireGrantHandler({
    // A grant is made in this account, so its end is too, enrolled or not.
    iam: (await iam()).withHome(),
    cases: cases(),
    clock: systemClock,
    config: await config(),
    engine: engine(),
    runbooks: runbooks(),
  }),
);
