// Offboard a person: inventory what they used and created (identity-inventory runbook, plus
// their IAM user), revoke every credential that is theirs alone, and hand the rest — shared
// roles they reached through Identity Center, things they created — to a human by name.

import * as z from 'zod';
import { modeIn } from '../domain/accounts.ts';
import { accountOfArn } from '../domain/arn.ts';
import type { Config } from '../domain/config.ts';
import { own } from '../domain/iam-state.ts';
import { OffboardingDetailSchema } from '../domain/offboarding.ts';
import type { RevocationPlan, RevocationTarget } from '../domain/revocation/plan.ts';
import { addMinutes, toInstant } from '../domain/time.ts';
import { type Trigger, TriggerSchema } from '../domain/trigger.ts';
import { plural } from '../domain/words.ts';
import type { CaseStore, Clock, IamGateway, QueryEngine, SqlCell } from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { textIn } from '../runbooks/rows.ts';
import { recordEntry, requireCase } from './cases.ts';
import {
  ApprovalSchema,
  type Revocation,
  RevocationNeedsHumanError,
  roundOf,
  stateForRevocation,
} from './revoke.ts';
import { actionsOf, revokeEach } from './revoke-each.ts';
import type { VerifiedPrincipal } from './verify.ts';

export interface OffboardDependencies {
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  iam: IamGateway;
  config: Config;
  clock: Clock;
  cases: CaseStore;
  sleep?: (ms: number) => Promise<void>;
}

export const OffboardInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema.refine((trigger) => trigger.target.kind === 'person', 'an offboarding trigger'),
  /** The on-call's answer, when an earlier attempt needed one. */
  approval: ApprovalSchema.optional(),
  /** Plan and record only (the configuration's dry-run mode does the same). */
  dryRun: z.boolean().default(false),
  /** The request as it came: its reason travels into the case and any escalation. */
  offboarding: OffboardingDetailSchema.optional(),
});
export type OffboardInput = z.input<typeof OffboardInputSchema>;

export interface Offboarding {
  caseId: string;
  cutoff: string;
  inventory: Record<string, SqlCell>[];
  plans: RevocationPlan[];
  applied: boolean;
  /** What a human must still do, by name. */
  manualSteps: string[];
  /** What the state machine needs to go on: the revocation summary and whom to verify. */
  revocation: Revocation & { verify: VerifiedPrincipal[] };
}

export async function offboard(input: OffboardInput, deps: OffboardDependencies): Promise<Offboarding> {
  const { caseId, trigger, offboarding: requested } = OffboardInputSchema.parse(input);
  const why = requested?.reason;
  // Who asked, as revoker verified them, stays on the case beside what was done.
  const asked = requested
    ? `Asked by ${requested.requestedBy}${requested.confirmedBy ? `, confirmed by ${requested.confirmedBy}` : ''}${why ? `: ${why}` : ''}. `
    : '';
  const leaving = trigger.target as Extract<Trigger['target'], { kind: 'person' }>;
  const request = { person: leaving.person, accountId: leaving.accountId };
  const now = deps.clock.now();
  const cutoff = toInstant(now);
  const accountMode = modeIn(deps.config, leaving.accountId);
  const dryRun = input.dryRun === true || accountMode === 'dry-run';
  const inventory = (
    await deps.engine.run(
      bindRunbook(requireRunbook(deps.runbooks, 'identity-inventory'), {
        account: request.accountId,
        person: request.person,
        start: toInstant(addMinutes(now, -deps.config.confirm.baselineDays * 1440)),
        end: toInstant(addMinutes(now, 1)),
      }),
    )
  ).rows;

  const targets: RevocationTarget[] = [];
  const manualSteps: string[] = [];
  const userScope = {
    accountId: request.accountId,
    roles: [],
    users: [request.person],
    managedPolicies: [],
    identityCenter: false,
  };
  const user = own((await stateForRevocation(deps.iam, userScope)).users, request.person);
  if (user) {
    targets.push({ kind: 'iam-user', accountId: request.accountId, userName: request.person, arn: user.arn });
  }
  for (const row of inventory) {
    const kind = textIn(row, 'kind') ?? '';
    const identifier = textIn(row, 'identifier') ?? '';
    const roleName = identifier.split('/').at(-1) ?? '';
    if (kind === 'source-identity-role') {
      // A shared role: deny only the sessions carrying this person's source identity, in the
      // role's own account (an organisation trail lists a cross-account call under either).
      targets.push({
        kind: 'role-sessions',
        accountId: accountOfArn(identifier) ?? request.accountId,
        roleName,
        roleArn: identifier,
        session: { userId: null, sourceIdentity: request.person },
      });
    } else if (kind === 'identity-center-role') {
      manualSteps.push(
        `Disable ${request.person} in IAM Identity Center, or remove their assignments: they used ${identifier}.`,
      );
    } else if (kind.startsWith('created:')) {
      manualSteps.push(
        `Review what ${request.person} created (${kind.slice('created:'.length)} ${identifier}): remove it, or hand it over.`,
      );
    }
  }
  if (targets.length === 0 && manualSteps.length === 0) {
    manualSteps.push(
      `Nothing held by ${request.person} was found in account ${request.accountId}: check the name and the account.`,
    );
  }

  const outcomes = await revokeEach(targets, {
    caseId,
    trigger,
    cutoff,
    dryRun,
    approval: input.approval,
    label: `Offboarding ${request.person}`,
    config: deps.config,
    iam: deps.iam,
    cases: deps.cases,
    clock: deps.clock,
    sleep: deps.sleep,
  });
  const plans = outcomes.map((outcome) => outcome.plan);
  for (const outcome of outcomes) {
    manualSteps.push(...outcome.plan.manualSteps);
    if (outcome.status === 'needs-human')
      manualSteps.push(`Not revoked automatically: ${outcome.plan.requiresHuman}.`);
  }
  const verify = outcomes
    .filter((outcome) => outcome.status === 'applied')
    .map((outcome) => verifiedPrincipalOf(outcome.target));
  await recordEntry(deps.cases, caseId, {
    id: `offboard:${roundOf(await requireCase(deps.cases, caseId))}`,
    at: cutoff,
    step: 'offboard',
    summary: `${asked}${plural(inventory.length, 'credential or principal', 'credentials and principals')} found for ${request.person}; ${plural(plans.length, 'revocation plan')} ${dryRun ? 'recorded (dry run)' : 'applied where allowed'}; ${plural(manualSteps.length, 'step')} left for a human.`,
    detail: { inventory, manualSteps },
  });
  if (!dryRun && verify.length === 0) {
    throw new RevocationNeedsHumanError(
      `nothing ${request.person} holds could be revoked automatically${why ? ` (${why})` : ''}: ${manualSteps.join(' ')}`,
    );
  }
  return {
    caseId,
    cutoff,
    inventory,
    plans,
    applied: !dryRun,
    manualSteps,
    revocation: {
      mode: dryRun ? 'dry-run' : accountMode,
      applied: !dryRun,
      cutoff,
      target: request.person,
      actions: actionsOf(outcomes),
      escalationOnly: plans.flatMap((plan) => plan.escalationOnly.map((planned) => planned.why)),
      notes: manualSteps,
      verify,
    },
  };
}

/** Whose calls after the cutoff would show the revoked credential still live. */
function verifiedPrincipalOf(target: RevocationTarget): VerifiedPrincipal {
  switch (target.kind) {
    case 'iam-user':
      return { principal: target.arn, sourceIdentity: '' };
    case 'role-sessions':
      return { principal: target.roleArn, sourceIdentity: target.session?.sourceIdentity ?? '' };
    case 'role':
      return { principal: target.roleArn, sourceIdentity: '' };
    default:
      throw new Error(`offboarding does not revoke a target of kind ${target.kind} automatically`);
  }
}
