// Verify: re-query the logs after the cutoff. "Contained" only once the delivered logs reach
// past the cutoff plus the margin; until then the answer is "not yet".
import { z } from 'zod';
import { addMinutes, toInstant, toPartitionDay } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import { assessVerification, type VerificationStatus } from '../domain/verification.ts';
import { bindRunbook, requireRunbook } from '../runbooks/catalog.ts';
import { openCaseEntry } from './case-audit.ts';
import type { ConfirmDependencies } from './confirm.ts';

export const VerifyInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  revocation: z.object({ cutoff: z.iso.datetime() }),
  /** The previous attempt's result, when the state machine loops back after a wait. */
  verification: z.object({ attempt: z.number().int().min(1) }).optional(),
});
export type VerifyInput = z.infer<typeof VerifyInputSchema>;

/** Verify needs the same parts as confirm: the query engine and runbooks, the case store. */
export type VerifyDependencies = ConfirmDependencies;

export interface Verification {
  status: VerificationStatus;
  attempt: number;
  /** Whether the state machine should wait and try again. */
  retry: boolean;
  explanation: string;
  watermark: string | null;
  succeeded: number;
  denied: number;
}

export async function verify(input: VerifyInput, deps: VerifyDependencies): Promise<Verification> {
  const { trigger } = input;
  const cutoff = new Date(input.revocation.cutoff);
  const now = deps.clock.now();
  const needed = toInstant(addMinutes(cutoff, deps.config.verify.marginMinutes));
  const attempt = (input.verification?.attempt ?? 0) + 1;

  const watermark = await deps.engine.run(
    bindRunbook(requireRunbook(deps.runbooks, 'log-watermark'), {
      account: trigger.target.accountId,
      region: trigger.region,
      from_day: toPartitionDay(cutoff),
      until_day: toPartitionDay(now),
    }),
  );
  const activity = await deps.engine.run(
    bindRunbook(requireRunbook(deps.runbooks, 'post-cutoff-activity'), {
      account: trigger.target.accountId,
      role_arn: trigger.target.roleArn,
      cutoff: toInstant(cutoff),
      cutoff_day: toPartitionDay(cutoff),
      until_day: toPartitionDay(now),
    }),
  );
  const row = activity.rows[0] ?? {};
  const facts = {
    watermark: watermark.rows[0]?.watermark ?? null,
    succeeded: Number(row.succeeded ?? 0),
    denied: Number(row.denied ?? 0),
    lastCall: row.last_call ?? null,
  };
  const assessment = assessVerification(facts, toInstant(cutoff), needed);
  const verification: Verification = {
    ...assessment,
    attempt,
    retry: assessment.status === 'not-yet' && attempt < deps.config.verify.maxAttempts,
    watermark: facts.watermark,
    succeeded: facts.succeeded,
    denied: facts.denied,
  };
  await deps.cases.append(input.caseId, openCaseEntry(input.caseId, trigger, deps.clock), {
    at: toInstant(now),
    step: 'verify',
    summary: `attempt ${attempt}: ${assessment.status}. ${assessment.explanation}`,
    detail: verification,
  });
  return verification;
}
