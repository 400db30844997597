// Revocation plans (pure): given who to revoke, the account's IAM state and the
// configuration, the ordered changes to make, each with its reason, and the guard rails'
// verdict. The plan never touches IAM; applying it is the use case's job.
import { accountNeedsHuman } from '../accounts.ts';
import { accountOfArn } from '../arn.ts';
import { type Config, isProtected, protectingTag } from '../config.ts';
import {
  type IamAccountState,
  type IamScope,
  INLINE_POLICY_QUOTA,
  MANAGED_POLICY_QUOTA,
  own,
  policySize,
} from '../iam-state.ts';
import type { TriggerTarget } from '../trigger.ts';
import { plural } from '../words.ts';
import { permissionsFor, type RevocationAction } from './actions.ts';
import {
  blockAssumeStatement,
  denyAllStatement,
  identityCenterUserStatement,
  mergeStatement,
  olderSessionsStatement,
  oneSessionStatement,
  REVOCATION_POLICY_NAME,
  type Statement,
  sourceIdentityStatement,
} from './policies.ts';

/** Who the plan takes access away from, in the terms IAM acts on. */
export type RevocationTarget =
  | {
      kind: 'role-sessions';
      accountId: string;
      roleName: string;
      roleArn: string;
      /** The offending session, for `offending-session` plans. */
      session: { userId: string | null; sourceIdentity: string | null } | null;
    }
  | { kind: 'role'; accountId: string; roleName: string; roleArn: string }
  | { kind: 'iam-user'; accountId: string; userName: string; arn: string }
  | { kind: 'identity-center-user'; accountId: string; userId: string; label: string }
  | { kind: 'not-revocable'; arn: string | null; reason: string; instructions: string[] };

/** The account the target is in (null for one revoker cannot act on). */
export function targetAccount(target: RevocationTarget): string | null {
  return 'accountId' in target ? target.accountId : null;
}

export interface PlannedAction {
  action: RevocationAction;
  why: string;
  permissions: readonly string[];
}

export interface RevocationPlan {
  target: RevocationTarget;
  cutoff: string;
  /** The changes to make automatically, in order. */
  actions: PlannedAction[];
  /** Changes only a human may approve (they can break legitimate use), offered with the plan. */
  escalationOnly: PlannedAction[];
  /** Set when a guard rail sends the whole plan to a human: why. */
  requiresHuman: string | null;
  /** What a human must do when nothing can be done automatically. */
  manualSteps: string[];
  /** Choices the planner made that a reviewer should know (quota fallbacks...). */
  notes: string[];
}

export interface PlanContext {
  config: Config;
  state: IamAccountState;
  cutoff: string;
  /** Automatic revocations already made within the guard-rail window. */
  recentRevocations: number;
  /**
   * The on-call engineer who approved this revocation. A human's approval lifts the guard
   * rails that only stop automatic action (protection, plan size, the window's cap); what
   * cannot be done at all (service-linked roles, nothing to change) still stops the plan.
   */
  approvedBy?: string;
}

const ROOT_INSTRUCTIONS = [
  'Sign in as root with its MFA device, change the password, and delete any root access keys.',
  'If the root MFA device or email may be compromised, contact AWS Support; in an organisation, apply an SCP denying root actions.',
];

function notRevocable(arn: string | null, reason: string, instructions: string[]): RevocationTarget {
  return { kind: 'not-revocable', arn, reason, instructions };
}

/** The root user: no IAM policy restricts it, so a human acts, with these steps. */
export function rootTarget(arn: string): RevocationTarget {
  return notRevocable(arn, 'the root user cannot be restricted by IAM policies', ROOT_INSTRUCTIONS);
}

/** The ARN a target names: the role, the user, or the not-revocable principal's (if known). */
export function targetArn(target: RevocationTarget): string | null {
  switch (target.kind) {
    case 'role-sessions':
    case 'role':
      return target.roleArn;
    case 'iam-user':
    case 'not-revocable':
      return target.arn;
    case 'identity-center-user':
      return null;
  }
}

/** A plan's changes in words, in order, for the case's audit trail. */
export function describePlan(plan: RevocationPlan): string {
  return plan.actions.map((planned) => planned.why).join('; then ');
}

/** What a case revokes: the role's sessions, the user, or (for root) nothing automatic. */
export function revocationTargetOf(target: TriggerTarget): RevocationTarget {
  switch (target.kind) {
    case 'assumed-role':
      if (target.roleName.startsWith('AWSReservedSSO_')) {
        return notRevocable(target.roleArn, 'AWSReservedSSO roles are managed by IAM Identity Center', [
          `Find the Identity Center user behind session ${target.sessionName ?? '(unknown)'} and revoke them in Identity Center (revoker plans that from an Identity Center user).`,
        ]);
      }
      if (target.roleArn.includes(':role/aws-service-role/')) {
        return notRevocable(target.roleArn, 'service-linked roles are managed by their AWS service', [
          'Find what the service did on the principal’s behalf and fix the resource or the service configuration that allowed it.',
        ]);
      }
      return {
        kind: 'role-sessions',
        accountId: target.accountId,
        roleName: target.roleName,
        roleArn: target.roleArn,
        session: { userId: target.sessionUserId, sourceIdentity: target.sourceIdentity },
      };
    case 'iam-user':
      return {
        kind: 'iam-user',
        accountId: target.accountId,
        userName: target.userName,
        arn: target.userArn,
      };
    case 'root':
      return rootTarget(target.arn);
    case 'person':
      return notRevocable(null, `${target.person} is offboarded credential by credential`, [
        `Run the offboarding again (revoker offboard --user ${target.person} --account ${target.accountId}); it revokes each credential the person holds.`,
      ]);
    case 'grant':
      return notRevocable(target.principalArn, `grant ${target.grantId} is ended by its expiry`, [
        `End the grant again (revoker jit expire ${target.grantId}): it detaches ${target.policyArn} unless another live grant gives it, and denies the sessions it issued.`,
      ]);
    case 'refinement':
      return notRevocable(target.principalArn, `a refinement of ${target.principalArn} is not a compromise`, [
        'Undo the refinement (revoker undo CASE) to give the role its policies back.',
      ]);
  }
}

/** The part of the account a plan for this target reads and changes. */
export function scopeFor(target: RevocationTarget): IamScope {
  const accountId = 'accountId' in target ? target.accountId : '';
  const scope: IamScope = { accountId, roles: [], users: [], managedPolicies: [], identityCenter: false };
  if (target.kind === 'role-sessions' || target.kind === 'role') {
    scope.roles.push(target.roleName);
    scope.managedPolicies.push(ownManagedPolicyArn(accountId, 'role', target.roleName));
  } else if (target.kind === 'iam-user') {
    scope.users.push(target.userName);
    scope.managedPolicies.push(ownManagedPolicyArn(accountId, 'user', target.userName));
  } else if (target.kind === 'identity-center-user') {
    scope.identityCenter = true;
  }
  return scope;
}

function ownManagedPolicyArn(accountId: string, kind: 'role' | 'user', name: string): string {
  return `arn:aws:iam::${accountId}:policy/revoker/${ownManagedPolicyName(kind, name)}`;
}

function ownManagedPolicyName(kind: 'role' | 'user', name: string): string {
  return `${REVOCATION_POLICY_NAME}-${kind}-${name}`.slice(0, 128);
}

export function planRevocation(target: RevocationTarget, context: PlanContext): RevocationPlan {
  const plan: RevocationPlan = {
    target,
    cutoff: context.cutoff,
    actions: [],
    escalationOnly: [],
    requiresHuman: null,
    manualSteps: [],
    notes: [],
  };
  const add = (list: PlannedAction[], action: RevocationAction, why: string) =>
    list.push({ action, why, permissions: permissionsFor(action) });

  switch (target.kind) {
    case 'not-revocable':
      plan.requiresHuman = `no automatic action: ${target.reason}`;
      plan.manualSteps = target.instructions;
      return plan;
    case 'role-sessions':
    case 'role':
      planRole(target, context, plan, add);
      break;
    case 'iam-user':
      planUser(target, context, plan, add);
      break;
    case 'identity-center-user':
      planIdentityCenterUser(target, context, plan, add);
      break;
  }
  if (plan.requiresHuman === null) {
    const verdict = guardRailVerdict(target, context, plan);
    if (verdict && context.approvedBy && !verdict.overridable) {
      plan.requiresHuman = verdict.reason;
    } else if (verdict && context.approvedBy) {
      plan.notes.push(`Approved by ${context.approvedBy} although ${verdict.reason}.`);
    } else if (verdict) {
      plan.requiresHuman = verdict.reason;
    }
  }
  return plan;
}

type Add = (list: PlannedAction[], action: RevocationAction, why: string) => void;

function planRole(
  target: Extract<RevocationTarget, { kind: 'role-sessions' | 'role' }>,
  context: PlanContext,
  plan: RevocationPlan,
  add: Add,
): void {
  const role = own(context.state.roles, target.roleName);
  if (!role) {
    plan.requiresHuman = `role ${target.roleName} was not found in IAM (deleted, or a different account)`;
    return;
  }
  // IAM finds a role by its name alone, unique in its account whatever its path: a role of that
  // name in another account is another principal, never the one the case is about.
  const accounts = [target.accountId, accountOfArn(target.roleArn), accountOfArn(role.arn)];
  if (role.arn && new Set(accounts).size > 1) {
    plan.requiresHuman = `IAM has role ${target.roleName} as ${role.arn}, and the case is about ${target.roleArn} in account ${target.accountId}: it is another account's role, so nothing is changed`;
    return;
  }
  let statement: Statement;
  let why: string;
  if (target.kind === 'role') {
    statement = denyAllStatement();
    why = `deny every call by role ${target.roleName}, at once, before its permissions are taken apart`;
  } else if (
    context.config.revocation.roleSessions === 'offending-session' &&
    target.session?.sourceIdentity
  ) {
    statement = sourceIdentityStatement(target.session.sourceIdentity, context.cutoff);
    why = `deny the sessions of ${target.roleName} with source identity ${target.session.sourceIdentity} issued before ${context.cutoff}`;
  } else if (context.config.revocation.roleSessions === 'offending-session' && target.session?.userId) {
    statement = oneSessionStatement(target.session.userId, context.cutoff);
    why = `deny session ${target.session.userId} of ${target.roleName}, issued before ${context.cutoff}`;
  } else {
    if (context.config.revocation.roleSessions === 'offending-session') {
      plan.notes.push(
        'the offending session could not be identified (no role ID or source identity): all sessions issued before the cutoff are denied',
      );
    }
    statement = olderSessionsStatement(context.cutoff);
    why = `deny every session of ${target.roleName} issued before ${context.cutoff}; sessions issued later (the workload's fresh credentials) keep working`;
  }
  addOwnDeny(context, plan, add, { kind: 'role', name: target.roleName, holder: role }, statement, why);

  if (target.kind === 'role') {
    for (const policyArn of role.attachedPolicies) {
      add(
        plan.actions,
        { action: 'detach-role-policy', input: { roleName: target.roleName, policyArn } },
        'take the role’s managed permissions away (recorded, re-attached on undo)',
      );
    }
    for (const [policyName] of Object.entries(role.inlinePolicies).filter(
      ([name]) => name !== REVOCATION_POLICY_NAME,
    )) {
      add(
        plan.actions,
        { action: 'delete-role-policy', input: { roleName: target.roleName, policyName } },
        'take the role’s inline permissions away (the document is recorded for undo)',
      );
    }
    for (const instanceProfileName of role.instanceProfiles) {
      add(
        plan.actions,
        {
          action: 'remove-role-from-instance-profile',
          input: { roleName: target.roleName, instanceProfileName },
        },
        'stop instances obtaining fresh credentials for the role',
      );
    }
  } else if (role.trustPolicy !== null) {
    add(
      plan.escalationOnly,
      {
        action: 'update-assume-role-policy',
        input: {
          roleName: target.roleName,
          policyDocument: mergeStatement(role.trustPolicy, blockAssumeStatement()),
        },
      },
      'stop anyone assuming the role again (the attacker may hold what lets them re-assume); this also stops the legitimate workload, so only a human may approve it',
    );
  }
}

function planUser(
  target: Extract<RevocationTarget, { kind: 'iam-user' }>,
  context: PlanContext,
  plan: RevocationPlan,
  add: Add,
): void {
  const user = own(context.state.users, target.userName);
  if (!user) {
    plan.requiresHuman = `user ${target.userName} was not found in IAM (deleted, or a different account)`;
    return;
  }
  addOwnDeny(
    context,
    plan,
    add,
    { kind: 'user', name: target.userName, holder: user },
    denyAllStatement(),
    `deny every call by user ${target.userName}: access keys, console and any session it federates`,
  );
  for (const key of user.accessKeys.filter((candidate) => candidate.status === 'Active')) {
    add(
      plan.actions,
      {
        action: 'update-access-key',
        input: { userName: target.userName, accessKeyId: key.accessKeyId, status: 'Inactive' },
      },
      'deactivate (never delete) the access key, so it can be restored exactly',
    );
  }
  if (context.config.revocation.userCredentialExtras) {
    for (const certificate of user.signingCertificates.filter((candidate) => candidate.status === 'Active')) {
      add(
        plan.actions,
        {
          action: 'update-signing-certificate',
          input: { userName: target.userName, certificateId: certificate.certificateId, status: 'Inactive' },
        },
        'deactivate the signing certificate',
      );
    }
    for (const key of user.sshPublicKeys.filter((candidate) => candidate.status === 'Active')) {
      add(
        plan.actions,
        {
          action: 'update-ssh-public-key',
          input: { userName: target.userName, sshPublicKeyId: key.sshPublicKeyId, status: 'Inactive' },
        },
        'deactivate the SSH key (CodeCommit)',
      );
    }
    for (const credential of user.serviceSpecificCredentials.filter(
      (candidate) => candidate.status === 'Active',
    )) {
      add(
        plan.actions,
        {
          action: 'update-service-specific-credential',
          input: {
            userName: target.userName,
            serviceSpecificCredentialId: credential.serviceSpecificCredentialId,
            status: 'Inactive',
          },
        },
        'deactivate the service-specific credential',
      );
    }
  }
  if (user.hasLoginProfile) {
    plan.notes.push(
      'the console password is left in place: the deny covers the console, and deleting it could not be undone exactly',
    );
  }
}

function planIdentityCenterUser(
  target: Extract<RevocationTarget, { kind: 'identity-center-user' }>,
  context: PlanContext,
  plan: RevocationPlan,
  add: Add,
): void {
  const center = context.state.identityCenter;
  if (!center) {
    plan.requiresHuman = 'no IAM Identity Center instance is known to the pipeline';
    return;
  }
  const assignments = center.assignments.filter((assignment) => assignment.accountId === target.accountId);
  const direct = assignments.filter(
    (assignment) => assignment.principalType === 'USER' && assignment.principalId === target.userId,
  );
  const viaGroups = assignments.filter((assignment) => assignment.principalType === 'GROUP');
  // The deny names the user, so it is safe in every permission set used in the account; it
  // also covers the sessions the user gets through a group, which revoker cannot unassign.
  const sets = [...new Set(assignments.map((assignment) => assignment.permissionSetArn))];
  for (const permissionSetArn of sets) {
    const current = own(center.permissionSets, permissionSetArn)?.inlinePolicy ?? null;
    add(
      plan.actions,
      {
        action: 'put-permission-set-policy',
        input: {
          instanceArn: center.instanceArn,
          permissionSetArn,
          inlinePolicy: mergeStatement(current, identityCenterUserStatement(target.userId)),
        },
      },
      `deny user ${target.label} within permission set ${own(center.permissionSets, permissionSetArn)?.name ?? permissionSetArn}, at once, for sessions already open (the role itself cannot be edited)`,
    );
  }
  for (const assignment of direct) {
    add(
      plan.actions,
      { action: 'delete-account-assignment', input: { instanceArn: center.instanceArn, ...assignment } },
      `remove user ${target.label}'s assignment so no new session can start`,
    );
  }
  if (viaGroups.length > 0) {
    plan.manualSteps.push(
      `Remove ${target.label} from the Identity Center groups assigned in account ${target.accountId} (${viaGroups.length} group assignments); revoker does not change group membership.`,
    );
  }
  if (direct.length === 0)
    plan.notes.push(`user ${target.label} has no direct assignment in account ${target.accountId}`);
}

/**
 * Merge the statement into the pipeline's own inline policy on the principal; when that would
 * push its inline policies past IAM's quota, use the pipeline's managed policy instead.
 */
function addOwnDeny(
  context: PlanContext,
  plan: RevocationPlan,
  add: Add,
  principal: {
    kind: 'role' | 'user';
    name: string;
    holder: { inlinePolicies: Record<string, string>; attachedPolicies: string[] };
  },
  statement: Statement,
  why: string,
): void {
  const { kind, name, holder } = principal;
  const document = mergeStatement(own(holder.inlinePolicies, REVOCATION_POLICY_NAME), statement);
  const others = Object.entries(holder.inlinePolicies)
    .filter(([policyName]) => policyName !== REVOCATION_POLICY_NAME)
    .reduce((total, [, policy]) => total + policySize(policy), 0);
  if (others + policySize(document) > INLINE_POLICY_QUOTA[kind]) {
    addManagedFallback(context, plan, add, kind, name, document, why, holder.attachedPolicies.length);
    return;
  }
  const input = { policyName: REVOCATION_POLICY_NAME, policyDocument: document };
  add(
    plan.actions,
    kind === 'role'
      ? { action: 'put-role-policy', input: { roleName: name, ...input } }
      : { action: 'put-user-policy', input: { userName: name, ...input } },
    why,
  );
}

/** When the inline quota is full: the same document as the pipeline's own managed policy. */
function addManagedFallback(
  context: PlanContext,
  plan: RevocationPlan,
  add: Add,
  kind: 'role' | 'user',
  name: string,
  document: string,
  why: string,
  attachedCount: number,
): void {
  // IAM's default quota: 10 managed policies attached per role or user.
  if (policySize(document) > MANAGED_POLICY_QUOTA || attachedCount >= 10) {
    plan.requiresHuman = `the ${kind}'s inline policies are at IAM's quota and no managed policy can be attached either`;
    return;
  }
  const policyName = ownManagedPolicyName(kind, name);
  const policyArn = ownManagedPolicyArn(context.state.accountId, kind, name);
  plan.notes.push(
    `the ${kind}'s inline policies are near IAM's quota: the deny goes into managed policy ${policyArn}`,
  );
  add(
    plan.actions,
    { action: 'create-policy', input: { policyArn, policyName, policyDocument: document } },
    why,
  );
  add(
    plan.actions,
    kind === 'role'
      ? { action: 'attach-role-policy', input: { roleName: name, policyArn } }
      : { action: 'attach-user-policy', input: { userName: name, policyArn } },
    `attach the pipeline's managed deny to ${kind} ${name}`,
  );
}

/** The guard rails, fail closed: any that trips sends the whole plan to a human. */
/** Why the plan may not run by itself; `overridable` when a human's approval may lift it. */
function guardRailVerdict(
  target: RevocationTarget,
  context: PlanContext,
  plan: RevocationPlan,
): { reason: string; overridable: boolean } | null {
  const { guardRails } = context.config;
  const stop = (reason: string, overridable = true) => ({ reason, overridable });
  const arn = targetArn(target);
  // IAM's own ARN too: a finding names a role or user without its path, which protection and
  // service-linked roles are told by.
  const known =
    target.kind === 'iam-user'
      ? own(context.state.users, target.userName)?.arn
      : 'roleName' in target
        ? own(context.state.roles, target.roleName)?.arn
        : undefined;
  const arns = [...new Set([arn, known].filter((each): each is string => Boolean(each)))];
  for (const each of arns)
    if (/:role\/aws-service-role\//.test(each)) return stop(`${each} is a service-linked role`, false);
  if (plan.actions.length === 0 && plan.manualSteps.length === 0)
    return stop('nothing to change was found', false);
  const account = accountNeedsHuman(context.config.accounts, targetAccount(target));
  if (account) return stop(account);
  for (const each of arns) {
    const pattern = isProtected(each, context.config);
    if (pattern) return stop(`${each} is protected (matches ${pattern})`);
  }
  const tags =
    target.kind === 'iam-user'
      ? own(context.state.users, target.userName)?.tags
      : 'roleName' in target
        ? own(context.state.roles, target.roleName)?.tags
        : undefined;
  const tag = tags ? protectingTag(tags, context.config) : null;
  if (tag) return stop(`${arn} carries the protecting tag ${tag}`);
  if (plan.actions.length > guardRails.maxActionsPerPlan) {
    return stop(
      `the plan has ${plan.actions.length} actions, more than the ${guardRails.maxActionsPerPlan} allowed without a human`,
    );
  }
  if (context.recentRevocations >= guardRails.maxRevocationsPerWindow) {
    return stop(
      `${plural(context.recentRevocations, 'automatic revocation')} in the last ${guardRails.windowMinutes} minutes ${context.recentRevocations === 1 ? 'reaches' : 'reach'} the cap of ${guardRails.maxRevocationsPerWindow}`,
    );
  }
  return null;
}
