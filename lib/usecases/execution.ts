// What every execution of the state machine carries besides the case: the waits, bounds and
// escalation deadlines from configuration, and what a timed-out escalation does at the case's
// severity. Set when a case opens, and again when a raise changes its severity.
import type { Config } from '../domain/config.ts';
import type { Severity } from '../domain/rules.ts';
import type { Trigger } from '../domain/trigger.ts';

/**
 * `judged` is the trigger confirm weighs: when it is a finding (the case has no call of its
 * own), an unanswered page never revokes, whatever the severity, since only a finding the
 * principal's history bears out may lead to a revocation without a person. A refinement is
 * never applied without a person either.
 */
export function executionSettings(config: Config, severity: Severity, judged?: Trigger) {
  return {
    logDeliveryWaitSeconds: config.verify.waitSeconds,
    maxVerifyAttempts: config.verify.maxAttempts,
    acknowledgeTimeoutSeconds: config.escalation.acknowledgeMinutes * 60,
    approvalTimeoutSeconds: config.escalation.decideMinutes * 60,
    onApprovalTimeout:
      judged?.finding || judged?.refinement ? ('expire' as const) : config.escalation.onTimeout[severity],
  };
}
export type ExecutionSettings = ReturnType<typeof executionSettings>;
