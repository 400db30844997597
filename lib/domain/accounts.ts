// Which accounts revoker acts in, and how. Without an `accounts` section it acts in its own
// account only, with its own credentials. With one, it acts in exactly the accounts listed
// there (its own account too only when listed), each through the member role deployed in it:
// an event from any other account is never acted on, whatever it names.
import * as z from 'zod';
import { FindingResponse, FindingResponsesSchema } from './findings.ts';
import { type RuleOverrides, RuleOverridesSchema, type RuleResponse } from './rule-overrides.ts';
import { AccountId } from './shapes.ts';

/** IAM role names: 1–64 of `[\w+=,.@-]`; 57 at most here, to leave room for `-reader`. */
const RoleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,57}$/, 'an IAM role name of 57 characters at most, such as revoker-member');

export const Mode = z.enum(['dry-run', 'enforce']);
export type Mode = z.infer<typeof Mode>;

export const AccountsSchema = z
  .strictObject({
    /**
     * The role `member.yaml` creates in each enrolled account, assumed to change IAM there; its
     * `<name>-reader` twin, which can only read, is assumed for every read.
     */
    memberRoleName: RoleName,
    enrolled: z
      .array(
        z.strictObject({
          id: AccountId,
          /** A name people know the account by, shown beside its ID. */
          name: z.string().min(1).max(64).optional(),
          /**
           * `dry-run` keeps this account in dry run while the top-level mode enforces (a rollout
           * one account at a time). Never the other way: a top-level dry run is dry run everywhere.
           */
          mode: Mode.optional(),
          /**
           * Nothing in this account is revoked without a person's approval (the management
           * account, say): every case there goes to a human.
           */
          humanApprovalOnly: z.boolean().optional(),
          /** Who answers this account's escalations, in place of escalation.approvers. */
          approvers: z.array(z.string().min(3).max(256)).min(1).optional(),
          /** This account's responses by rule ID, over the top-level `rules`. */
          rules: RuleOverridesSchema.optional(),
          /** This account's responses to findings, over the top-level `findings` (findings.ts). */
          findings: z
            .strictObject({
              responses: FindingResponsesSchema.optional(),
              otherwise: FindingResponse.optional(),
            })
            .optional(),
        }),
      )
      .min(1, 'at least one account; leave the section out to act in revoker’s own account only'),
  })
  .superRefine((accounts, context) => {
    const seen = new Set<string>();
    for (const [index, account] of accounts.enrolled.entries()) {
      if (seen.has(account.id))
        context.addIssue({ code: 'custom', path: ['enrolled', index, 'id'], message: 'listed twice' });
      seen.add(account.id);
    }
  });
export type Accounts = z.infer<typeof AccountsSchema>;
export type EnrolledAccount = Accounts['enrolled'][number];

/** How revoker may act in an account: with its own credentials, through the member role, or not at all. */
export type Enrolment =
  | { kind: 'own'; account: EnrolledAccount | null }
  | { kind: 'member-role'; account: EnrolledAccount; roleArn: string; readerRoleArn: string }
  | { kind: 'not-enrolled'; reason: string };

export interface Home {
  /** The account revoker is deployed in. */
  accountId: string;
  /** Its partition (`aws`, `aws-cn`, `aws-us-gov`), for the member role's ARN. */
  partition: string;
}

/**
 * How revoker acts in `accountId`. Decided by the configuration alone. The account is the one
 * the trigger's principal lives in (`userIdentity.accountId` of an AWS event, which only AWS
 * puts on a bus: nobody may put an `aws.*` event), never a name in the event.
 */
export function enrolmentOf(accounts: Accounts | undefined, home: Home, accountId: string): Enrolment {
  if (!accounts) {
    return accountId === home.accountId
      ? { kind: 'own', account: null }
      : {
          kind: 'not-enrolled',
          reason: `account ${accountId} is not enrolled: revoker acts only in its own account, ${home.accountId}, until the configuration lists accounts (accounts.enrolled)`,
        };
  }
  const account = accounts.enrolled.find((entry) => entry.id === accountId);
  if (!account)
    return {
      kind: 'not-enrolled',
      reason: `account ${accountId} is not enrolled: it is not in accounts.enrolled, so nothing is changed there`,
    };
  if (accountId === home.accountId) return { kind: 'own', account };
  return {
    kind: 'member-role',
    account,
    roleArn: `arn:${home.partition}:iam::${accountId}:role/${accounts.memberRoleName}`,
    readerRoleArn: `arn:${home.partition}:iam::${accountId}:role/${accounts.memberRoleName}-reader`,
  };
}

/**
 * The account's mode: dry run when the top-level mode or the account's own says so (a dry run
 * asked for anywhere — the stack's parameter, `--dry-run` — is never overridden by an account).
 */
export function modeIn(
  config: { mode: Mode; accounts?: Accounts | undefined },
  accountId: string | null,
): Mode {
  if (config.mode === 'dry-run') return 'dry-run';
  return config.accounts?.enrolled.find((entry) => entry.id === accountId)?.mode ?? config.mode;
}

/** Why every case in the account goes to a human, or null. */
export function accountNeedsHuman(accounts: Accounts | undefined, accountId: string | null): string | null {
  const account = accounts?.enrolled.find((entry) => entry.id === accountId);
  return account?.humanApprovalOnly
    ? `account ${accountId}${account.name ? ` (${account.name})` : ''} is acted in only with a person's approval (accounts.enrolled humanApprovalOnly)`
    : null;
}

/** The account as people know it: `111122223333 (workloads-prod)`. */
export function accountLabel(accounts: Accounts | undefined, accountId: string): string {
  const name = accounts?.enrolled.find((entry) => entry.id === accountId)?.name;
  return name ? `${accountId} (${name})` : accountId;
}

type AccountSettings = {
  accounts?: Accounts | undefined;
  rules: RuleOverrides;
  escalation: { approvers: string[] };
};

function enrolled(accounts: Accounts | undefined, accountId: string | null): EnrolledAccount | undefined {
  return accounts?.enrolled.find((entry) => entry.id === accountId);
}

/** A rule's response in an account: the account's override, the top-level one, or the catalog's. */
export function responseIn(
  config: AccountSettings,
  rule: { id: string; response: RuleResponse },
  accountId: string | null,
): RuleResponse {
  return (
    enrolled(config.accounts, accountId)?.rules?.[rule.id]?.response ??
    config.rules[rule.id]?.response ??
    rule.response
  );
}

/** The account's own approvers, when it names any: they alone answer its cases. */
export function ownApproversIn(
  config: { accounts?: Accounts | undefined },
  accountId: string | null,
): string[] | null {
  return enrolled(config.accounts, accountId)?.approvers ?? null;
}

/** Who answers an escalation of a case in the account: its own approvers, or the top-level ones. */
export function approversIn(config: AccountSettings, accountId: string | null): string[] {
  return enrolled(config.accounts, accountId)?.approvers ?? config.escalation.approvers;
}

/**
 * The accounts whose logs the heartbeat keeps moving: revoker's own (its own calls land there
 * whether or not it acts there) and each enrolled account.
 */
export function heartbeatAccounts(accounts: Accounts | undefined, homeAccountId: string): string[] {
  return [...new Set([homeAccountId, ...(accounts?.enrolled.map((entry) => entry.id) ?? [])])];
}
