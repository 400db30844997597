// STS: one client per trail region, each calling that region's own endpoint, to keep logs moving.

import { StsRegionHeartbeat } from '../../aws/sts-heartbeat.ts';
import { enrolmentOf } from '../../domain/accounts.ts';
import { config, once, setting } from './deployed.ts';

export const heartbeat = once(async () => {
  const accounts = (await config()).accounts;
  const home = { accountId: setting('REVOKER_ACCOUNT_ID'), partition: setting('REVOKER_PARTITION') };
  return new StsRegionHeartbeat((accountId) => {
    const enrolment = enrolmentOf(accounts, home, accountId);
    return enrolment.kind === 'member-role' ? enrolment.readerRoleArn : null;
  });
});
