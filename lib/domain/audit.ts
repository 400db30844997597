// The operator API's audit trail: every decision it made about a person's request, allowed or
// refused, with the identity AWS verified, what was asked, and why it was decided so.
import * as z from 'zod';

export const AUDIT_ACTIONS = [
  'caller.admit',
  'grant.request',
  'grant.approve',
  'case.answer',
  'runbook.run',
  'audit.read',
  'offboard.request',
  'refinement.ask',
] as const;

/** The longest text each field keeps (the operator use cases cut longer values to fit). */
export const AUDIT_LIMITS = { identity: 2048, target: 2048, reason: 4096 } as const;

export const AuditRecordSchema = z.object({
  /** Unique: the store keys the record by it. */
  id: z.string().min(1).max(128),
  at: z.iso.datetime(),
  /** The caller's ARN as AWS verified it. */
  identity: z.string().min(1).max(AUDIT_LIMITS.identity),
  action: z.enum(AUDIT_ACTIONS),
  /** What the request was about: a grant request, a case, a runbook and account, a person. */
  target: z.string().max(AUDIT_LIMITS.target),
  allowed: z.boolean(),
  /** Why it was allowed or refused, in words. */
  reason: z.string().max(AUDIT_LIMITS.reason),
  /** What was asked and what came of it (parameter values, rows returned, bytes scanned…). */
  details: z.record(z.string(), z.unknown()),
});
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

/** How far back `revoker audit` reads by default, and at most (the table keeps a partition per day). */
export const AUDIT_MAX_DAYS = 90;
