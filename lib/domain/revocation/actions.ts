// The revocation actions, as a catalog. Each entry names one IAM (or Identity Center) API
// change: its input, the permissions the pipeline needs for it, what it does to the account
// state, whether the state already shows it, and how to undo it exactly from the state before.
// A test walks the catalog with an example of each (test/fixtures/revocation-actions.ts, not
// shipped in the functions' bundles) and fails on an incomplete or inexact entry.
import * as z from 'zod';
import {
  type AccountAssignment,
  type IamAccountState,
  own,
  type RoleState,
  samePolicy,
  type UserState,
} from '../iam-state.ts';

/** The principal, policy or assignment an action names does not exist (IAM's NoSuchEntity). */
export class ActionTargetMissingError extends Error {
  override name = 'ActionTargetMissingError';
}

export interface ActionSpec<I> {
  title: string;
  input: z.ZodType<I>;
  /** The IAM permissions the pipeline's role needs to perform it. */
  permissions: readonly string[];
  describe(input: I): string;
  /** True when the state already shows the action's effect: applying it would change nothing. */
  isApplied(state: IamAccountState, input: I): boolean;
  /** The state after the action, as IAM would leave it. */
  apply(state: IamAccountState, input: I): IamAccountState;
  /** The actions that restore exactly what `before` held. */
  undo(before: IamAccountState, input: I): RevocationAction[];
}

const Name = z.string().regex(/^[\w+=,.@-]{1,128}$/);
const PolicyArn = z.string().regex(/^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/);
const Document = z.string().min(2);
const Status = z.enum(['Active', 'Inactive']);

const RoleInline = z.object({ roleName: Name, policyName: Name, policyDocument: Document });
const RolePolicyName = z.object({ roleName: Name, policyName: Name });
const RoleManaged = z.object({ roleName: Name, policyArn: PolicyArn });
const RoleProfile = z.object({ roleName: Name, instanceProfileName: Name });
const RoleTrust = z.object({ roleName: Name, policyDocument: Document });
const UserInline = z.object({ userName: Name, policyName: Name, policyDocument: Document });
const UserPolicyName = z.object({ userName: Name, policyName: Name });
const UserManaged = z.object({ userName: Name, policyArn: PolicyArn });
const AccessKey = z.object({
  userName: Name,
  accessKeyId: z.string().regex(/^AKIA[A-Z0-9]{12,124}$/),
  status: Status,
});
const Certificate = z.object({ userName: Name, certificateId: z.string().min(1).max(128), status: Status });
const SshKey = z.object({
  userName: Name,
  sshPublicKeyId: z.string().regex(/^APKA[A-Z0-9]+$/),
  status: Status,
});
const ServiceCredential = z.object({
  userName: Name,
  serviceSpecificCredentialId: z.string().regex(/^ACCA[A-Z0-9]+$/),
  status: Status,
});
const ManagedPolicy = z.object({ policyArn: PolicyArn, policyName: Name, policyDocument: Document });
const ManagedPolicyArn = z.object({ policyArn: PolicyArn });
const PermissionSetPolicy = z.object({
  instanceArn: z.string().startsWith('arn:aws'),
  permissionSetArn: z.string().startsWith('arn:aws'),
  inlinePolicy: Document,
});
const PermissionSetRef = PermissionSetPolicy.omit({ inlinePolicy: true });
const Assignment = z.object({
  instanceArn: z.string().startsWith('arn:aws'),
  accountId: z.string().regex(/^\d{12}$/),
  permissionSetArn: z.string().startsWith('arn:aws'),
  principalType: z.enum(['USER', 'GROUP']),
  principalId: z.string().min(1),
});

/** Each action's input, by name: the catalog below gives each its behaviour. */
const ACTION_INPUTS = {
  'put-role-policy': RoleInline,
  'delete-role-policy': RolePolicyName,
  'attach-role-policy': RoleManaged,
  'detach-role-policy': RoleManaged,
  'remove-role-from-instance-profile': RoleProfile,
  'add-role-to-instance-profile': RoleProfile,
  'update-assume-role-policy': RoleTrust,
  'put-user-policy': UserInline,
  'delete-user-policy': UserPolicyName,
  'attach-user-policy': UserManaged,
  'detach-user-policy': UserManaged,
  'update-access-key': AccessKey,
  'update-signing-certificate': Certificate,
  'update-ssh-public-key': SshKey,
  'update-service-specific-credential': ServiceCredential,
  'create-policy': ManagedPolicy,
  'delete-policy': ManagedPolicyArn,
  'put-permission-set-policy': PermissionSetPolicy,
  'delete-permission-set-policy': PermissionSetRef,
  'delete-account-assignment': Assignment,
  'create-account-assignment': Assignment,
} as const;

export type ActionName = keyof typeof ACTION_INPUTS;
export type InputOf<K extends ActionName> = z.infer<(typeof ACTION_INPUTS)[K]>;
/** One change to make: an action from the catalog and its input. */
export type RevocationAction = { [K in ActionName]: { action: K; input: InputOf<K> } }[ActionName];

// Shared lookups: a missing target is an error, as IAM answers NoSuchEntity.
function role(state: IamAccountState, name: string): RoleState {
  const found = own(state.roles, name);
  if (!found) throw new ActionTargetMissingError(`role ${name} does not exist`);
  return found;
}
function user(state: IamAccountState, name: string): UserState {
  const found = own(state.users, name);
  if (!found) throw new ActionTargetMissingError(`user ${name} does not exist`);
  return found;
}
function identityCenter(state: IamAccountState) {
  if (!state.identityCenter) throw new ActionTargetMissingError('no IAM Identity Center instance');
  return state.identityCenter;
}
function permissionSet(state: IamAccountState, arn: string) {
  const found = own(identityCenter(state).permissionSets, arn);
  if (!found) throw new ActionTargetMissingError(`permission set ${arn} does not exist`);
  return found;
}
function changed(state: IamAccountState, change: (draft: IamAccountState) => void): IamAccountState {
  const draft = structuredClone(state);
  change(draft);
  return draft;
}
const sameAssignment = (a: Omit<AccountAssignment, never>) => (b: AccountAssignment) =>
  b.accountId === a.accountId &&
  b.permissionSetArn === a.permissionSetArn &&
  b.principalType === a.principalType &&
  b.principalId === a.principalId;

/** Roles and users hold inline and managed policies alike; these name the differences. */
interface PolicyHolder<N extends string> {
  kind: 'role' | 'user';
  /** The input field naming the principal: `roleName` or `userName`. */
  key: N;
  find(
    state: IamAccountState,
    name: string,
  ): { inlinePolicies: Record<string, string>; attachedPolicies: string[] };
  /** The IAM API names, and the catalog's, for this kind of principal. */
  api: { put: string; delete: string; attach: string; detach: string };
  names: { put: ActionName; delete: ActionName; attach: ActionName; detach: ActionName };
}
const ROLE: PolicyHolder<'roleName'> = {
  kind: 'role',
  key: 'roleName',
  find: role,
  api: {
    put: 'PutRolePolicy',
    delete: 'DeleteRolePolicy',
    attach: 'AttachRolePolicy',
    detach: 'DetachRolePolicy',
  },
  names: {
    put: 'put-role-policy',
    delete: 'delete-role-policy',
    attach: 'attach-role-policy',
    detach: 'detach-role-policy',
  },
};
const USER: PolicyHolder<'userName'> = {
  kind: 'user',
  key: 'userName',
  find: user,
  api: {
    put: 'PutUserPolicy',
    delete: 'DeleteUserPolicy',
    attach: 'AttachUserPolicy',
    detach: 'DetachUserPolicy',
  },
  names: {
    put: 'put-user-policy',
    delete: 'delete-user-policy',
    attach: 'attach-user-policy',
    detach: 'detach-user-policy',
  },
};

// The undo of one action is another catalog action of the same holder; its input shape is
// the holder's, so the union type is restored with one cast here rather than at each caller.
const asAction = (action: ActionName, input: object) => ({ action, input }) as RevocationAction;

function putInlinePolicy<
  N extends string,
  I extends Record<N, string> & { policyName: string; policyDocument: string },
>(holder: PolicyHolder<N>, input: z.ZodType<I>): ActionSpec<I> {
  const policies = (state: IamAccountState, given: I) => holder.find(state, given[holder.key]).inlinePolicies;
  return {
    title: `Write an inline policy on a ${holder.kind}`,
    input,
    permissions: [`iam:${holder.api.put}`],
    describe: (given) => `Write inline policy ${given.policyName} on ${holder.kind} ${given[holder.key]}`,
    isApplied: (state, given) =>
      samePolicy(own(policies(state, given), given.policyName), given.policyDocument),
    apply: (state, given) =>
      changed(state, (draft) => {
        policies(draft, given)[given.policyName] = given.policyDocument;
      }),
    undo: (before, given) => {
      const previous = own(policies(before, given), given.policyName);
      return previous === undefined
        ? [asAction(holder.names.delete, { [holder.key]: given[holder.key], policyName: given.policyName })]
        : [asAction(holder.names.put, { ...given, policyDocument: previous })];
    },
  };
}

function deleteInlinePolicy<N extends string, I extends Record<N, string> & { policyName: string }>(
  holder: PolicyHolder<N>,
  input: z.ZodType<I>,
): ActionSpec<I> {
  const policies = (state: IamAccountState, given: I) => holder.find(state, given[holder.key]).inlinePolicies;
  return {
    title: `Remove an inline policy from a ${holder.kind}`,
    input,
    permissions: [`iam:${holder.api.delete}`],
    describe: (given) => `Remove inline policy ${given.policyName} from ${holder.kind} ${given[holder.key]}`,
    isApplied: (state, given) => !Object.hasOwn(policies(state, given), given.policyName),
    apply: (state, given) =>
      changed(state, (draft) => {
        delete policies(draft, given)[given.policyName];
      }),
    undo: (before, given) => {
      const previous = own(policies(before, given), given.policyName);
      return previous === undefined
        ? []
        : [asAction(holder.names.put, { ...given, policyDocument: previous })];
    },
  };
}

function attachManagedPolicy<N extends string, I extends Record<N, string> & { policyArn: string }>(
  holder: PolicyHolder<N>,
  input: z.ZodType<I>,
): ActionSpec<I> {
  const attached = (state: IamAccountState, given: I) =>
    holder.find(state, given[holder.key]).attachedPolicies;
  return {
    title: `Attach a managed policy to a ${holder.kind}`,
    input,
    permissions: [`iam:${holder.api.attach}`],
    describe: (given) => `Attach ${given.policyArn} to ${holder.kind} ${given[holder.key]}`,
    isApplied: (state, given) => attached(state, given).includes(given.policyArn),
    apply: (state, given) =>
      changed(state, (draft) => {
        const list = attached(draft, given);
        if (!list.includes(given.policyArn)) list.push(given.policyArn);
      }),
    undo: (before, given) =>
      attached(before, given).includes(given.policyArn) ? [] : [asAction(holder.names.detach, given)],
  };
}

function detachManagedPolicy<N extends string, I extends Record<N, string> & { policyArn: string }>(
  holder: PolicyHolder<N>,
  input: z.ZodType<I>,
): ActionSpec<I> {
  const attached = (state: IamAccountState, given: I) =>
    holder.find(state, given[holder.key]).attachedPolicies;
  return {
    title: `Detach a managed policy from a ${holder.kind}`,
    input,
    permissions: [`iam:${holder.api.detach}`],
    describe: (given) => `Detach ${given.policyArn} from ${holder.kind} ${given[holder.key]}`,
    isApplied: (state, given) => !attached(state, given).includes(given.policyArn),
    apply: (state, given) =>
      changed(state, (draft) => {
        const list = attached(draft, given);
        const at = list.indexOf(given.policyArn);
        if (at !== -1) list.splice(at, 1);
      }),
    undo: (before, given) =>
      attached(before, given).includes(given.policyArn) ? [asAction(holder.names.attach, given)] : [],
  };
}

/** Status changes (keys, certificates, SSH keys, service credentials) share one shape. */
function statusAction<I extends { userName: string; status: 'Active' | 'Inactive' }>(options: {
  title: string;
  input: z.ZodType<I>;
  permission: string;
  list: (user: UserState) => { status: 'Active' | 'Inactive' }[];
  matches: (item: Record<string, unknown>, input: I) => boolean;
  label: (input: I) => string;
  rebuild: (input: I, status: 'Active' | 'Inactive') => RevocationAction;
}): ActionSpec<I> {
  const find = (state: IamAccountState, input: I) => {
    const item = options
      .list(user(state, input.userName))
      .find((candidate) => options.matches(candidate, input));
    if (!item)
      throw new ActionTargetMissingError(`${options.label(input)} of user ${input.userName} does not exist`);
    return item;
  };
  return {
    title: options.title,
    input: options.input,
    permissions: [options.permission],
    describe: (input) => `Set ${options.label(input)} of user ${input.userName} to ${input.status}`,
    isApplied: (state, input) => find(state, input).status === input.status,
    apply: (state, input) =>
      changed(state, (draft) => {
        find(draft, input).status = input.status;
      }),
    undo: (before, input) => [options.rebuild(input, find(before, input).status)],
  };
}

export const ACTIONS: { [K in ActionName]: ActionSpec<InputOf<K>> } = {
  'put-role-policy': putInlinePolicy(ROLE, RoleInline),
  'delete-role-policy': deleteInlinePolicy(ROLE, RolePolicyName),
  'attach-role-policy': attachManagedPolicy(ROLE, RoleManaged),
  'detach-role-policy': detachManagedPolicy(ROLE, RoleManaged),
  'put-user-policy': putInlinePolicy(USER, UserInline),
  'delete-user-policy': deleteInlinePolicy(USER, UserPolicyName),
  'attach-user-policy': attachManagedPolicy(USER, UserManaged),
  'detach-user-policy': detachManagedPolicy(USER, UserManaged),
  'remove-role-from-instance-profile': {
    title: 'Remove a role from an instance profile',
    input: RoleProfile,
    permissions: ['iam:RemoveRoleFromInstanceProfile'],
    describe: (input) => `Remove role ${input.roleName} from instance profile ${input.instanceProfileName}`,
    isApplied: (state, input) =>
      !role(state, input.roleName).instanceProfiles.includes(input.instanceProfileName),
    apply: (state, input) =>
      changed(state, (draft) => {
        const target = role(draft, input.roleName);
        target.instanceProfiles = target.instanceProfiles.filter(
          (name) => name !== input.instanceProfileName,
        );
      }),
    undo: (before, input) =>
      role(before, input.roleName).instanceProfiles.includes(input.instanceProfileName)
        ? [{ action: 'add-role-to-instance-profile', input }]
        : [],
  },
  'add-role-to-instance-profile': {
    title: 'Add a role back to an instance profile',
    input: RoleProfile,
    permissions: ['iam:AddRoleToInstanceProfile', 'iam:PassRole'],
    describe: (input) => `Add role ${input.roleName} to instance profile ${input.instanceProfileName}`,
    isApplied: (state, input) =>
      role(state, input.roleName).instanceProfiles.includes(input.instanceProfileName),
    apply: (state, input) =>
      changed(state, (draft) => {
        const target = role(draft, input.roleName);
        if (!target.instanceProfiles.includes(input.instanceProfileName))
          target.instanceProfiles.push(input.instanceProfileName);
      }),
    undo: (before, input) =>
      role(before, input.roleName).instanceProfiles.includes(input.instanceProfileName)
        ? []
        : [{ action: 'remove-role-from-instance-profile', input }],
  },
  'update-assume-role-policy': {
    title: "Replace a role's trust policy",
    input: RoleTrust,
    permissions: ['iam:UpdateAssumeRolePolicy'],
    describe: (input) => `Replace the trust policy of role ${input.roleName}`,
    isApplied: (state, input) => samePolicy(role(state, input.roleName).trustPolicy, input.policyDocument),
    apply: (state, input) =>
      changed(state, (draft) => {
        role(draft, input.roleName).trustPolicy = input.policyDocument;
      }),
    undo: (before, input) => {
      const previous = role(before, input.roleName).trustPolicy;
      if (previous === null)
        throw new ActionTargetMissingError(`role ${input.roleName} has no recorded trust policy`);
      return [{ action: 'update-assume-role-policy', input: { ...input, policyDocument: previous } }];
    },
  },
  'update-access-key': statusAction({
    title: "Change an access key's status (never deleted)",
    input: AccessKey,
    permission: 'iam:UpdateAccessKey',
    list: (found) => found.accessKeys,
    matches: (item, input) => item.accessKeyId === input.accessKeyId,
    label: (input) => `access key ${input.accessKeyId}`,
    rebuild: (input, status) => ({ action: 'update-access-key', input: { ...input, status } }),
  }),
  'update-signing-certificate': statusAction({
    title: "Change a signing certificate's status",
    input: Certificate,
    permission: 'iam:UpdateSigningCertificate',
    list: (found) => found.signingCertificates,
    matches: (item, input) => item.certificateId === input.certificateId,
    label: (input) => `signing certificate ${input.certificateId}`,
    rebuild: (input, status) => ({ action: 'update-signing-certificate', input: { ...input, status } }),
  }),
  'update-ssh-public-key': statusAction({
    title: "Change an SSH public key's status (CodeCommit)",
    input: SshKey,
    permission: 'iam:UpdateSSHPublicKey',
    list: (found) => found.sshPublicKeys,
    matches: (item, input) => item.sshPublicKeyId === input.sshPublicKeyId,
    label: (input) => `SSH public key ${input.sshPublicKeyId}`,
    rebuild: (input, status) => ({ action: 'update-ssh-public-key', input: { ...input, status } }),
  }),
  'update-service-specific-credential': statusAction({
    title: "Change a service-specific credential's status",
    input: ServiceCredential,
    permission: 'iam:UpdateServiceSpecificCredential',
    list: (found) => found.serviceSpecificCredentials,
    matches: (item, input) => item.serviceSpecificCredentialId === input.serviceSpecificCredentialId,
    label: (input) => `service-specific credential ${input.serviceSpecificCredentialId}`,
    rebuild: (input, status) => ({
      action: 'update-service-specific-credential',
      input: { ...input, status },
    }),
  }),
  'create-policy': {
    title: 'Create a customer managed policy (when an inline policy would not fit)',
    input: ManagedPolicy,
    permissions: ['iam:CreatePolicy'],
    describe: (input) => `Create managed policy ${input.policyArn}`,
    isApplied: (state, input) =>
      samePolicy(own(state.managedPolicies, input.policyArn)?.document, input.policyDocument),
    apply: (state, input) =>
      changed(state, (draft) => {
        draft.managedPolicies[input.policyArn] = { name: input.policyName, document: input.policyDocument };
      }),
    undo: (before, input) => {
      const previous = own(before.managedPolicies, input.policyArn);
      if (previous) {
        throw new ActionTargetMissingError(
          `managed policy ${input.policyArn} already existed; it is not the pipeline's own`,
        );
      }
      return [{ action: 'delete-policy', input: { policyArn: input.policyArn } }];
    },
  },
  'delete-policy': {
    title: "Delete the pipeline's own managed policy",
    input: ManagedPolicyArn,
    permissions: ['iam:DeletePolicy', 'iam:ListPolicyVersions', 'iam:DeletePolicyVersion'],
    describe: (input) => `Delete managed policy ${input.policyArn}`,
    isApplied: (state, input) => !Object.hasOwn(state.managedPolicies, input.policyArn),
    apply: (state, input) =>
      changed(state, (draft) => {
        delete draft.managedPolicies[input.policyArn];
      }),
    undo: (before, input) => {
      const previous = own(before.managedPolicies, input.policyArn);
      return previous
        ? [
            {
              action: 'create-policy',
              input: {
                policyArn: input.policyArn,
                policyName: previous.name,
                policyDocument: previous.document,
              },
            },
          ]
        : [];
    },
  },
  'put-permission-set-policy': {
    title: "Write a permission set's inline policy and provision it",
    input: PermissionSetPolicy,
    permissions: [
      'sso:PutInlinePolicyToPermissionSet',
      'sso:ProvisionPermissionSet',
      'sso:DescribePermissionSetProvisioningStatus',
    ],
    describe: (input) =>
      `Write the inline policy of permission set ${input.permissionSetArn} and provision it`,
    isApplied: (state, input) =>
      samePolicy(permissionSet(state, input.permissionSetArn).inlinePolicy, input.inlinePolicy),
    apply: (state, input) =>
      changed(state, (draft) => {
        permissionSet(draft, input.permissionSetArn).inlinePolicy = input.inlinePolicy;
      }),
    undo: (before, input) => {
      const previous = permissionSet(before, input.permissionSetArn).inlinePolicy;
      const ref = { instanceArn: input.instanceArn, permissionSetArn: input.permissionSetArn };
      return previous === null
        ? [{ action: 'delete-permission-set-policy', input: ref }]
        : [{ action: 'put-permission-set-policy', input: { ...ref, inlinePolicy: previous } }];
    },
  },
  'delete-permission-set-policy': {
    title: "Remove a permission set's inline policy and provision it",
    input: PermissionSetRef,
    permissions: [
      'sso:DeleteInlinePolicyFromPermissionSet',
      'sso:ProvisionPermissionSet',
      'sso:DescribePermissionSetProvisioningStatus',
    ],
    describe: (input) =>
      `Remove the inline policy of permission set ${input.permissionSetArn} and provision it`,
    isApplied: (state, input) => permissionSet(state, input.permissionSetArn).inlinePolicy === null,
    apply: (state, input) =>
      changed(state, (draft) => {
        permissionSet(draft, input.permissionSetArn).inlinePolicy = null;
      }),
    undo: (before, input) => {
      const previous = permissionSet(before, input.permissionSetArn).inlinePolicy;
      return previous === null
        ? []
        : [{ action: 'put-permission-set-policy', input: { ...input, inlinePolicy: previous } }];
    },
  },
  'delete-account-assignment': {
    title: "Remove a user's or group's assignment of a permission set to an account",
    input: Assignment,
    permissions: ['sso:DeleteAccountAssignment', 'sso:DescribeAccountAssignmentDeletionStatus'],
    describe: (input) =>
      `Remove the assignment of ${input.permissionSetArn} in account ${input.accountId} from ${input.principalType.toLowerCase()} ${input.principalId}`,
    isApplied: (state, input) => !identityCenter(state).assignments.some(sameAssignment(input)),
    apply: (state, input) =>
      changed(state, (draft) => {
        const center = identityCenter(draft);
        center.assignments = center.assignments.filter((candidate) => !sameAssignment(input)(candidate));
      }),
    undo: (before, input) =>
      identityCenter(before).assignments.some(sameAssignment(input))
        ? [{ action: 'create-account-assignment', input }]
        : [],
  },
  'create-account-assignment': {
    title: 'Assign a permission set to a user or group in an account (undo only)',
    input: Assignment,
    permissions: ['sso:CreateAccountAssignment', 'sso:DescribeAccountAssignmentCreationStatus'],
    describe: (input) =>
      `Assign ${input.permissionSetArn} in account ${input.accountId} to ${input.principalType.toLowerCase()} ${input.principalId}`,
    isApplied: (state, input) => identityCenter(state).assignments.some(sameAssignment(input)),
    apply: (state, input) =>
      changed(state, (draft) => {
        const center = identityCenter(draft);
        const { instanceArn: _instance, ...assignment } = input;
        if (!center.assignments.some(sameAssignment(input))) center.assignments.push(assignment);
      }),
    undo: (before, input) =>
      identityCenter(before).assignments.some(sameAssignment(input))
        ? []
        : [{ action: 'delete-account-assignment', input }],
  },
};

// The catalog's functions, reached through one action value without casts at each call site.
function specOf(action: RevocationAction): ActionSpec<unknown> {
  return ACTIONS[action.action] as unknown as ActionSpec<unknown>;
}

export function describeAction(action: RevocationAction): string {
  return specOf(action).describe(action.input);
}
export function isApplied(state: IamAccountState, action: RevocationAction): boolean {
  return specOf(action).isApplied(state, action.input);
}
export function applyAction(state: IamAccountState, action: RevocationAction): IamAccountState {
  return specOf(action).apply(state, action.input);
}
export function undoActions(before: IamAccountState, action: RevocationAction): RevocationAction[] {
  return specOf(action).undo(before, action.input);
}
export function permissionsFor(action: RevocationAction): readonly string[] {
  return specOf(action).permissions;
}
/** Validate an action read from outside (a stored case, a CLI argument) against the catalog. */
export function parseAction(value: unknown): RevocationAction {
  const shape = z.object({
    action: z.enum(Object.keys(ACTIONS) as [ActionName, ...ActionName[]]),
    input: z.unknown(),
  });
  const { action, input } = shape.parse(value);
  return { action, input: (ACTION_INPUTS[action] as z.ZodType).parse(input) } as RevocationAction;
}
