// Verify: re-query the logs after the cutoff. "Contained" only once the delivered logs reach
// past the cutoff plus the margin in every region of the trail; until then the answer is "not yet".
import * as z from 'zod';
import { addMinutes, toInstant, toPartitionDay } from '../domain/time.ts';
import { principalArnOf, TriggerSchema } from '../domain/trigger.ts';
import { assessVerification, type Verification } from '../domain/verification.ts';
import type { QueryResult } from '../ports.ts';
import { bindRunbook, requireRunbook } from '../runbooks/catalog.ts';
import { countIn, textIn } from '../runbooks/rows.ts';
import { recordEntry } from './cases.ts';
import type { ConfirmDependencies } from './confirm.ts';

/** How far before the cutoff to look for the regions the revoked credentials used. */
const ACTIVE_LOOKBACK_MINUTES = 60;

export const VerifiedPrincipalSchema = z.object({
  principal: z.string().min(1),
  /** Only the sessions carrying this source identity; empty for every session. */
  sourceIdentity: z.string(),
  /** Only the session with this aws:userid (a session a grant issued); empty for every session. */
  sessionUserId: z.string().default(''),
});
export type VerifiedPrincipal = z.input<typeof VerifiedPrincipalSchema>;

export const VerifyInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  revocation: z.object({
    cutoff: z.iso.datetime(),
    /**
     * Whose use after the cutoff would show access still live, when it is not simply the
     * trigger's principal: an offboarded person's user, and their sessions on shared roles.
     */
    verify: z.array(VerifiedPrincipalSchema).optional(),
  }),
  /** The previous attempt's result, when the state machine loops back after a wait. */
  verification: z.object({ attempt: z.number().int().min(1) }).optional(),
});
export type VerifyInput = z.infer<typeof VerifyInputSchema>;

/** Verify needs the same parts as confirm: the query engine and runbooks, the case store. */
export type VerifyDependencies = ConfirmDependencies;

export type { Verification };

export async function verify(input: VerifyInput, deps: VerifyDependencies): Promise<Verification> {
  const { trigger } = input;
  const cutoff = new Date(input.revocation.cutoff);
  const now = deps.clock.now();
  const needed = toInstant(addMinutes(cutoff, deps.config.verify.marginMinutes));
  const attempt = (input.verification?.attempt ?? 0) + 1;

  const key = `${input.caseId}:verify:${attempt}`;
  const principals = input.revocation.verify ?? [
    { principal: principalArnOf(trigger.target), sourceIdentity: '', sessionUserId: '' },
  ];
  const activityRows: QueryResult['rows'] = [];
  for (const [index, { principal, sourceIdentity, sessionUserId }] of principals.entries()) {
    const result = await deps.engine.run(
      bindRunbook(
        requireRunbook(deps.runbooks, 'post-cutoff-activity'),
        {
          account: trigger.target.accountId,
          principal,
          // Where the credentials were live shortly before the cutoff, their logs must be complete.
          active_since: toInstant(addMinutes(cutoff, -ACTIVE_LOOKBACK_MINUTES)),
          cutoff: toInstant(cutoff),
          source_identity: sourceIdentity,
          session_user_id: sessionUserId ?? '',
          until_day: toPartitionDay(now),
        },
        `${key}:activity:${index}`,
      ),
    );
    activityRows.push(...result.rows);
  }
  const watermarks = await deps.engine.run(
    bindRunbook(
      requireRunbook(deps.runbooks, 'log-watermark'),
      {
        account: trigger.target.accountId,
        from_day: toPartitionDay(cutoff),
        until_day: toPartitionDay(now),
      },
      `${key}:watermark`,
    ),
  );
  // Every region of the trail, from configuration: the logs being judged cannot say which regions
  // they are missing. The trigger's region and any region the credentials were seen in are added
  // in case the configuration leaves them out.
  const regions = new Set([
    ...deps.config.verify.regions,
    trigger.region,
    ...activityRows.flatMap((row) => textIn(row, 'region') ?? []),
  ]);
  const delivered = new Map(watermarks.rows.map((row) => [textIn(row, 'region'), textIn(row, 'watermark')]));
  const lastCalls = activityRows.map((row) => textIn(row, 'last_call')).filter((call) => call !== null);
  const facts = {
    watermarks: [...regions].sort().map((region) => ({ region, watermark: delivered.get(region) ?? null })),
    succeeded: activityRows.reduce((total, row) => total + countIn(row, 'succeeded'), 0),
    denied: activityRows.reduce((total, row) => total + countIn(row, 'denied'), 0),
    lastCall: lastCalls.sort().at(-1) ?? null,
  };
  const assessment = assessVerification(facts, toInstant(cutoff), needed);
  const verification: Verification = {
    ...assessment,
    attempt,
    retry: assessment.status === 'not-yet' && attempt < deps.config.verify.maxAttempts,
    watermarks: facts.watermarks,
    succeeded: facts.succeeded,
    denied: facts.denied,
  };
  await recordEntry(deps.cases, input.caseId, {
    // One per revocation (its cutoff) and attempt: a retried task finds its own.
    id: `verify:${input.revocation.cutoff}:${attempt}`,
    at: toInstant(now),
    step: 'verify',
    summary: `attempt ${attempt}: ${assessment.status}. ${assessment.explanation}`,
    detail: verification,
  });
  return verification;
}
