// What the operator API's use cases act with: the operator function's, and the grant function's.
import { alarmLog } from '../../aws/alarm-log.ts';
import type { OperatorDependencies } from '../../usecases/operator.ts';
import { engine } from './athena.ts';
import { config, runbooks, setting, systemClock } from './deployed.ts';
import { audit, cases } from './dynamodb.ts';
import { iam } from './iam.ts';
import { scheduler } from './scheduler.ts';
import { callbacks } from './step-functions.ts';

/**
 * The grant guard in an account: the stack's GrantGuardPolicy in its own account (the template
 * sets its ARN), none elsewhere — so a grant anywhere else is refused.
 */
export function grantGuardIn(guardPolicyArn: string, ownAccountId: string) {
  return (accountId: string): string | null => (accountId === ownAccountId ? guardPolicyArn : null);
}

export async function operatorDependencies(): Promise<OperatorDependencies> {
  const enrolled = await iam();
  const home = enrolled.withHome();
  return {
    config: await config(),
    // Callers are the stack account's identities: the function URL takes no other account's.
    homeAccountId: setting('REVOKER_ACCOUNT_ID'),
    cases: cases(),
    audit: audit(),
    clock: systemClock,
    // Each enrolled account through its own gateway, and always this one (callers, grants); any
    // other account is refused.
    iamFor: (accountId) => home.in(accountId),
    // Where an offboarding may act: the enrolled accounts only, as the Offboard function's.
    revokesIn: (accountId) => enrolled.in(accountId),
    scheduler: scheduler(),
    callbacks: callbacks(),
    engine: engine(),
    runbooks: runbooks(),
    alarm: alarmLog(),
    // Every grant attaches it before its policy (finishGrantRequest passes it on to grantAccess).
    grantGuard: grantGuardIn(setting('GRANT_GUARD_POLICY_ARN'), setting('REVOKER_ACCOUNT_ID')),
  };
}
