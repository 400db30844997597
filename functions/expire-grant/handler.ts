// End a just-in-time grant: thin edge around the expire-grant use case.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createExpireGrantHandler } from '../../lib/handlers/expire-grant.ts';

export const handler = deployed('expire-grant', async () =>
  createExpireGrantHandler({
    // A grant is made in this account, so its end is too, enrolled or not.
    iam: (await aws.iam()).withHome(),
    cases: aws.cases(),
    clock: systemClock,
    config: await aws.config(),
    engine: aws.engine(),
    runbooks: aws.runbooks(),
  }),
);
