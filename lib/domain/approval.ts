// Approval links: what an on-call engineer clicks to approve or reject an escalated case.
// A link is signed (HMAC-SHA256) with one of revoker's signing keys and names that key (`kid`),
// one case and one approver; it expires, and carries a nonce so it works once (the case records
// the nonces used). Verifying never changes anything; only a decision POSTed with a valid,
// unused link does. Keys rotate without a deploy: a link verifies with the key its `kid` names
// while that key is still current or previous, and is refused once the key has gone.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { IDENTITY_CENTER_ROLE_ARN } from './principal.ts';
import { revokedPrincipalArnOf, type TriggerTarget } from './trigger.ts';

/** A signing key's ID as a token carries it: short, and text that needs no escaping anywhere. */
export const KeyIdSchema = z.string().regex(/^[\w.:-]{1,64}$/, 'a key ID such as 2027-01');

/** A secret shorter than this makes the HMAC guessable; refuse it rather than sign with it. */
const MINIMUM_SECRET_BYTES = 32;

/** One signing key: the ID tokens name it by, and the HMAC key itself (at least 32 bytes). */
export const SigningKeySchema = z.object({
  id: KeyIdSchema,
  key: z.string().refine((key) => Buffer.byteLength(key) >= MINIMUM_SECRET_BYTES, {
    error: `a key of at least ${MINIMUM_SECRET_BYTES} bytes`,
  }),
});
export type SigningKey = z.infer<typeof SigningKeySchema>;

export const ApprovalGrantSchema = z.strictObject({
  /** The signing key's ID: which key verifies this token. */
  kid: KeyIdSchema,
  caseId: z.string().regex(/^[\w-]{1,80}$/),
  /** Who the link is for: the on-call engineer's identity (an email or an IAM ARN). */
  approver: z.string().min(3).max(256),
  /** The principal under revocation (an ARN), which can never approve its own case. */
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

export class ApprovalSecretError extends Error {
  override name = 'ApprovalSecretError';
}

function mac(payload: string, key: SigningKey): Buffer {
  if (Buffer.byteLength(key.key) < MINIMUM_SECRET_BYTES) {
    throw new ApprovalSecretError(
      `the approval signing key ${key.id} must be at least ${MINIMUM_SECRET_BYTES} bytes`,
    );
  }
  return createHmac('sha256', key.key).update(payload).digest();
}

interface ArnParts {
  service: string;
  account: string;
  resource: string;
}

function arnParts(text: string): ArnParts | null {
  const match = /^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d{12}):(.+)$/.exec(text);
  return match ? { service: match[1]!, account: match[2]!, resource: match[3]! } : null;
}

/** IAM names are unique in an account whatever their case and path: compare them so. */
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * True when the approver IS the principal under revocation, judged on verified identities
 * only: the approver's identity must be an IAM ARN naming that principal — the same user or
 * root; for a role, the role or any session of it (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/…`).
 * A name that merely looks alike (a user or session called `oncall`, an email whose local part
 * matches) decides nothing: session and user names are chosen by whoever holds the credentials.
 */
export function isSelfApproval(approver: string, principal: string): boolean {
  if (approver === principal) return true;
  const who = arnParts(approver);
  const whom = arnParts(principal);
  if (!who || !whom || who.account !== whom.account) return false;
  const [kind, ...path] = whom.resource.split('/');
  const name = path.at(-1);
  if (whom.service === 'iam' && whom.resource === 'root')
    return who.service === 'iam' && who.resource === 'root';
  if (whom.service !== 'iam' || !name) return false;
  const [approverKind, ...approverPath] = who.resource.split('/');
  if (kind === 'user')
    return who.service === 'iam' && approverKind === 'user' && sameName(approverPath.at(-1) ?? '', name);
  if (kind === 'role') {
    if (who.service === 'iam' && approverKind === 'role') return sameName(approverPath.at(-1) ?? '', name);
    // A session's ARN names the role without its path: assumed-role/ROLE/SESSION.
    return who.service === 'sts' && approverKind === 'assumed-role' && sameName(approverPath[0] ?? '', name);
  }
  return false;
}

/**
 * True when the approver is whom the case is about: the principal under revocation (see
 * `isSelfApproval`), or the same person by a name no attacker chose — an Identity Center
 * session's (the person's user name, set by AWS), the person being offboarded (named by a
 * verified offboarder or by Identity Center), the user a grant was given to (named by a
 * verified requester). The approver is judged by their Identity Center session's name, their
 * IAM user's name, or the email or user name they are listed by. A user or role session the
 * case is about is never judged by its name: whoever holds the credentials may have chosen it.
 */
export function approverIsSubject(approver: string, target: TriggerTarget): boolean {
  if (isSelfApproval(approver, revokedPrincipalArnOf(target))) return true;
  const person = personNameOf(approver);
  return person !== null && subjectPeopleOf(target).includes(person);
}

/**
 * True when the approver may be whoever asked for a change (a refinement): the same identity,
 * or the same person by any name they go by — an IAM user's name, an Identity Center session's,
 * an email or its local part. Errs towards "the same": another approver decides then.
 */
export function mayBeTheAsker(approver: string, asker: string): boolean {
  if (approver.toLowerCase() === asker.toLowerCase() || isSelfApproval(approver, asker)) return true;
  const names = (identity: string) => {
    const person = personNameOf(identity);
    return person === null ? [] : [person, person.split('@')[0]!];
  };
  const askerNames = names(asker);
  return names(approver).some((name) => askerNames.includes(name));
}

/** The name an approver is known by: an Identity Center session's, an IAM user's, or as listed. */
function personNameOf(approver: string): string | null {
  const session = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/AWSReservedSSO_[\w+=,.@-]+\/([\w+=,.@-]+)$/.exec(
    approver,
  );
  if (session) return session[1]!.toLowerCase();
  const user = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(approver);
  if (user) return user[1]!.toLowerCase();
  return approver.startsWith('arn:') ? null : approver.toLowerCase();
}

/** The names, no attacker's, of the person a case is about. */
function subjectPeopleOf(target: TriggerTarget): string[] {
  switch (target.kind) {
    case 'assumed-role':
      return target.sessionName && IDENTITY_CENTER_ROLE_ARN.test(target.roleArn)
        ? [target.sessionName.toLowerCase()]
        : [];
    case 'person':
      return [target.person.toLowerCase()];
    case 'grant': {
      const user = /:user\/(?:.*\/)?([^/]+)$/.exec(target.principalArn)?.[1];
      return user ? [user.toLowerCase()] : [];
    }
    default:
      return [];
  }
}

/** Issue a link token for one approver of one case, valid until `expiresAt`, signed with `key`. */
export function signApprovalLink(
  grant: Omit<ApprovalGrant, 'nonce' | 'kid'> & { nonce?: string },
  key: SigningKey,
): string {
  if (isSelfApproval(grant.approver, grant.principal)) {
    throw new ApprovalSecretError(
      `${grant.approver} is the principal under revocation and cannot approve this case`,
    );
  }
  const full = ApprovalGrantSchema.parse({
    ...grant,
    kid: key.id,
    nonce: grant.nonce ?? randomBytes(18).toString('base64url'),
  });
  const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `${payload}.${mac(payload, key).toString('base64url')}`;
}

function decoded(payload: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The ID of the key a token says it was signed with, read before anything is verified (the
 * caller looks the key up, then verifies): null when the token has none readable.
 */
export function approvalLinkKeyId(token: string): string | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const claims = decoded(payload);
  const kid = claims && typeof claims === 'object' ? (claims as { kid?: unknown }).kid : undefined;
  const parsed = KeyIdSchema.safeParse(kid);
  return parsed.success ? parsed.data : null;
}

/**
 * Check a token: signed with `key` (the key its `kid` names, or null when no such key is
 * known), well-formed, not expired, not used, and not the principal approving itself. Names
 * the reason when it is refused.
 */
export function verifyApprovalLink(
  token: string,
  key: SigningKey | null,
  now: Date,
  usedNonces: ReadonlySet<string>,
): LinkVerdict {
  const [payload, signature] = token.split('.');
  const kid = approvalLinkKeyId(token);
  if (!payload || !signature || kid === null) return { ok: false, reason: 'the link is malformed' };
  if (key === null || key.id !== kid) {
    return {
      ok: false,
      reason: `the link names a signing key revoker does not hold (key ID ${kid}: retired by two rotations since, or never revoker's)`,
    };
  }
  const expected = mac(payload, key);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: 'the link’s signature is not valid (altered, or signed with another secret)',
    };
  }
  const parsed = ApprovalGrantSchema.safeParse(decoded(payload));
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
