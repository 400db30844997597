// What every execution of the state machine carries besides the case: the waits, bounds and
// escalation deadlines from configuration, and what a timed-out escalation does at the case's
// severity. Set when a case opens, and again when a raise changes its severity.
import type { Config } from '../domain/config.ts';
import type { Severity } from '../domain/rules.ts';

export function executionSettings(config: Config, severity: Severity) {
  return {
    logDeliveryWaitSeconds: config.verify.waitSeconds,
    maxVerifyAttempts: config.verify.maxAttempts,
    acknowledgeTimeoutSeconds: config.escalation.acknowledgeMinutes * 60,
    approvalTimeoutSeconds: config.escalation.decideMinutes * 60,
    onApprovalTimeout: config.escalation.onTimeout[severity],
  };
}
export type ExecutionSettings = ReturnType<typeof executionSettings>;
