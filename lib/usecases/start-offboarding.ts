// An offboarding case started for one person in one account. Apart from detect.ts, which starts
// one when Identity Center removes a user: the operator API starts them too, and its function
// has no use for detection (nor for the rules detect loads).
import type { Config } from '../domain/config.ts';
import { OFFBOARDING_SEVERITY, type OffboardingDetail } from '../domain/offboarding.ts';
import type { Trigger } from '../domain/trigger.ts';
import { type IntakeDependencies, takeIn } from './cases.ts';
import type { DetectOutcome } from './detect.ts';
import { executionSettings } from './execution.ts';

/**
 * An offboarding for one person in one account, asked for by someone revoker believes (the
 * operator API's verified caller, Identity Center, the local files' owner): their one open
 * offboarding case, which revokes without asking.
 */
export async function startOffboardingCase(
  trigger: Trigger,
  detail: OffboardingDetail,
  eventKey: string,
  deps: IntakeDependencies & { config: Config },
): Promise<Extract<DetectOutcome, { caseId: string | null }>> {
  const placed = await takeIn(
    {
      origin: 'offboarding',
      trigger,
      ranking: { ruleId: trigger.ruleId, severity: OFFBOARDING_SEVERITY, response: 'auto-revoke' },
      eventKey,
      executionInput: (caseId) => ({
        caseId,
        revision: 0,
        trigger,
        offboarding: detail,
        settings: executionSettings(deps.config, OFFBOARDING_SEVERITY),
      }),
    },
    deps,
  );
  return { status: placed.status, caseId: placed.caseId, ruleId: trigger.ruleId, alsoMatched: [], trigger };
}
