// Athena: the query engine the runbooks run on.
import { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaQueryEngine } from '../../aws/athena-engine.ts';
import { once, optionalSetting, setting } from './deployed.ts';

export const engine = once(
  () =>
    new AthenaQueryEngine(new AthenaClient({}), {
      workGroup: setting('ATHENA_WORKGROUP'),
      database: setting('ATHENA_DATABASE'),
      table: setting('ATHENA_TABLE'),
      // Leave the Lambda time to record what it found: stop a query a minute before the task's timeout.
      deadlineMillis: Number(optionalSetting('ATHENA_DEADLINE_SECONDS') ?? 240) * 1000,
    }),
);
