// Approval links: what an on-call engineer clicks to approve or reject an escalated case.
// A link is signed (HMAC-SHA256), names one case and one approver, expires, and carries a
// nonce so it works once (the case records the nonces used). Verifying never changes
// anything; only a decision POSTed with a valid, unused link does.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ApprovalGrantSchema = z.strictObject({
  caseId: z.string().regex(/^[\w-]{1,80}$/),
  /** Who the link is for: the on-call engineer's identity (an email or an IAM ARN). */
  approver: z.string().min(3).max(256),
  /** The principal under revocation, which can never approve its own case. */
  principal: z.string().min(1).max(2048),
  expiresAt: z.iso.datetime(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});
export type ApprovalGrant = z.infer<typeof ApprovalGrantSchema>;

/** The answer an escalation received, as the revocation it lets through records it. */
export const ApprovalSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approved'), approver: z.string().min(1), at: z.iso.datetime() }),
  z.object({ decision: z.literal('timed-out'), reason: z.string() }),
]);
export type Approval = z.infer<typeof ApprovalSchema>;

export type LinkVerdict = { ok: true; grant: ApprovalGrant } | { ok: false; reason: string };

/** A secret shorter than this makes the HMAC guessable; refuse it rather than sign with it. */
const MINIMUM_SECRET_BYTES = 32;

export class ApprovalSecretError extends Error {
  override name = 'ApprovalSecretError';
}

function mac(payload: string, secret: string): Buffer {
  if (Buffer.byteLength(secret) < MINIMUM_SECRET_BYTES) {
    throw new ApprovalSecretError(`the approval secret must be at least ${MINIMUM_SECRET_BYTES} bytes`);
  }
  return createHmac('sha256', secret).update(payload).digest();
}

/** True when the approver is the principal under revocation (by ARN, or by user or session name). */
export function isSelfApproval(approver: string, principal: string): boolean {
  if (approver === principal) return true;
  const name = principal.split('/').at(-1) ?? '';
  const approverName = approver.split('/').at(-1)?.split('@')[0] ?? '';
  return name !== '' && (name === approver || name === approverName || name.split('@')[0] === approverName);
}

/** Issue a link token for one approver of one case, valid until `expiresAt`. */
export function signApprovalLink(
  grant: Omit<ApprovalGrant, 'nonce'> & { nonce?: string },
  secret: string,
): string {
  if (isSelfApproval(grant.approver, grant.principal)) {
    throw new ApprovalSecretError(
      `${grant.approver} is the principal under revocation and cannot approve this case`,
    );
  }
  const full = ApprovalGrantSchema.parse({
    ...grant,
    nonce: grant.nonce ?? randomBytes(18).toString('base64url'),
  });
  const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

/**
 * Check a token: signed with the secret, well-formed, not expired, not used, and not the
 * principal approving itself. Names the reason when it is refused.
 */
export function verifyApprovalLink(
  token: string,
  secret: string,
  now: Date,
  usedNonces: ReadonlySet<string>,
): LinkVerdict {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'the link is malformed' };
  const expected = mac(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: 'the link’s signature is not valid (altered, or signed with another secret)',
    };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the link is malformed' };
  }
  const parsed = ApprovalGrantSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: 'the link is malformed' };
  const grant = parsed.data;
  if (Date.parse(grant.expiresAt) <= now.getTime())
    return { ok: false, reason: `the link expired at ${grant.expiresAt}` };
  if (usedNonces.has(grant.nonce)) return { ok: false, reason: 'the link was already used' };
  if (isSelfApproval(grant.approver, grant.principal)) {
    return { ok: false, reason: 'the principal under revocation cannot approve its own case' };
  }
  return { ok: true, grant };
}
