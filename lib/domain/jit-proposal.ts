// Just-in-time, narrowly: for the calls a principal was refused, the narrowest grant that would
// have allowed each — that IAM action on that resource — proved with the policy evaluator, and
// weighed against what access.grants lets anyone ask for on the principal. Pure: it grants
// nothing, and the use case reads the refused calls, IAM's catalogue and the policies.
//
// A refused call's names (bucket, key, table…) are whatever the caller sent: nothing checked
// them, since the call was refused. They are built into ARNs only through IAM's ARN formats
// (refine's resource scoping), and a name that would change what a Resource matches is refused.
import type { NamedGrantRule } from './access.ts';
import {
  identityPolicyEvaluator,
  MalformedPolicyError,
  type PolicyDecision,
  type PolicyRequest,
  UnsupportedPolicyError,
} from './policy-evaluator.ts';
import {
  type PolicyDocument,
  type RefineContext,
  type RefusedCall,
  refusedUse,
  resourceScope,
} from './refine.ts';
import { Region } from './shapes.ts';
import { durationSeconds } from './time.ts';

export interface ProposalOptions {
  /** Objects: the folder's stable prefix (`data/*`) instead of the exact object. */
  widen: boolean;
}

/**
 * A refused call, with what the principal's current identity policies say of it when known: a
 * call they already allow was refused by something else, which no grant changes.
 */
export type Refused = RefusedCall & { currentPolicies?: 'allowed' | 'not-allowed' | 'unknown' | 'revoked' };

/** One refused call the proposal is for, and the request IAM judged. */
export interface ProposedFor {
  call: Refused;
  /** The request as the evaluator judges it: the action on the resource the call touched. */
  request: PolicyRequest;
}

/** The narrowest grant for one refused action on one resource (or, widened, one prefix). */
export interface NarrowProposal {
  action: string;
  /** What the statement allows the action on: one ARN, a prefix with `--widen`, or `*`. */
  resource: string;
  document: PolicyDocument;
  /** The refused calls it is for (several when they share the action and resource). */
  for: ProposedFor[];
  calls: number;
  widened: boolean;
  /** Why the statement allows every resource: IAM has no resource-level permission for the action. */
  wildcardReason?: string;
}

/** A refused call no grant is proposed for, and why. */
export interface Unproposed {
  call: Refused;
  reason: string;
}

export const REFUSED_ELSEWHERE =
  'its current policies already allow it: it was refused elsewhere (an SCP, a permissions boundary, a resource policy), which no grant changes';

/** `*` and `?` match other names in a Resource, `${…}` is a policy variable. */
const PATTERN_SYNTAX = /[*?]|\$\{/;

/** S3's bucket naming rules (lower case, 3 to 63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Why a refused call's names cannot make a narrow grant, or null when they can. IAM writes a
 * literal `*` in a Resource only as the policy variable `${*}`: revoker does not write one from a
 * name in the logs, so a name that would act as a pattern is refused, never passed through.
 */
export function nameProblem(call: RefusedCall): string | null {
  const named: [string, string | null][] = [
    ['bucket', call.bucket],
    ['key', call.objectKey],
    ['resource name', call.name],
  ];
  for (const [what, value] of named) {
    if (value === null) continue;
    const syntax = PATTERN_SYNTAX.exec(value)?.[0];
    if (syntax)
      return `its ${what} holds \`${syntax}\`, which a policy’s Resource reads as ${
        syntax === '${' ? 'a policy variable' : 'a wildcard'
      }: a statement naming it would allow more than the call refused (names in a refused call are the caller's choice)`;
  }
  if (call.bucket !== null && !BUCKET.test(call.bucket)) return 'its bucket is not a valid S3 bucket name';
  if (!Region.safeParse(call.region).success) return 'the region it was called in is not a region';
  return null;
}

function documentFor(action: string, resource: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'JustInTime', Effect: 'Allow', Action: [action], Resource: resource === '*' ? '*' : [resource] },
    ],
  };
}

/** The pattern syntax a scoped resource may carry that revoker put there itself, not the log. */
function ownSyntax(resource: string, widened: boolean, action: string): string {
  if (widened) return resource.replace(/\*$/, '');
  // A secret's ARN ends in six random characters the log does not give (refine's scoping).
  if (action.startsWith('secretsmanager:')) return resource.replace(/-\?{6}$/, '');
  return resource;
}

/**
 * For each refused (action, resource), the narrowest grant: that action on the resource's ARN as
 * refine scopes it (an object exactly, or with `widen` its folder's stable prefix). Calls with
 * no IAM action, whose names would act as patterns, that the current policies already allow, or
 * on no named resource get none.
 */
export function proposeNarrowGrants(
  calls: readonly Refused[],
  context: RefineContext,
  options: ProposalOptions,
): { proposals: NarrowProposal[]; unproposed: Unproposed[] } {
  const proposals = new Map<string, NarrowProposal>();
  const unproposed: Unproposed[] = [];
  for (const call of calls) {
    if (call.action === null) {
      unproposed.push({ call, reason: 'IAM has no action by this name' });
      continue;
    }
    const problem = nameProblem(call);
    if (problem) {
      unproposed.push({ call, reason: problem });
      continue;
    }
    if (call.currentPolicies === 'allowed') {
      unproposed.push({ call, reason: REFUSED_ELSEWHERE });
      continue;
    }
    // A revocation denies it: a grant to get round a revocation is never proposed.
    if (call.currentPolicies === 'revoked') {
      unproposed.push({
        call,
        reason: 'refused by the deny a revocation put on the principal: no grant is proposed',
      });
      continue;
    }
    const facts = context.facts.get(call.action);
    const scoped = resourceScope(refusedUse(call), call.action, facts, context);
    const takesNoResource = facts !== undefined && (facts.wildcardOnly || facts.resourceTypes.length === 0);
    if (scoped.wildcardReason && !takesNoResource) {
      unproposed.push({
        call,
        reason: `a grant on every resource is not narrow: ${scoped.wildcardReason}`,
      });
      continue;
    }
    const widened = options.widen && scoped.object !== undefined;
    const resource = widened ? scoped.patterns[0]! : (scoped.object ?? scoped.patterns[0]!);
    if (resource !== '*' && PATTERN_SYNTAX.test(ownSyntax(resource, widened, call.action))) {
      unproposed.push({ call, reason: `its resource ${resource} would act as a pattern` });
      continue;
    }
    const key = `${call.action} ${resource}`;
    const proposal = proposals.get(key) ?? {
      action: call.action,
      resource,
      document: documentFor(call.action, resource),
      for: [],
      calls: 0,
      widened,
      ...(scoped.wildcardReason ? { wildcardReason: scoped.wildcardReason } : {}),
    };
    proposal.for.push({ call, request: { action: call.action, resource: scoped.touched } });
    proposal.calls += call.calls;
    proposals.set(key, proposal);
  }
  return { proposals: [...proposals.values()], unproposed };
}

/** The evaluator's word on a proposal: every refused call it is for allowed, and nothing beside. */
export interface ProposalProof {
  /** Every refused request it is for is allowed. */
  holds: boolean;
  /** Each refused request it is for, with its calls, and the evaluator's decision. */
  judged: { request: PolicyRequest; calls: number; decision: PolicyDecision }[];
  /**
   * For an exact resource: a neighbouring one (the same ARN, `-neighbour` added), which must be
   * refused: the Resource is literal, no pattern slipped in. Null for `*` and a widened prefix.
   */
  neighbour: { request: PolicyRequest; decision: PolicyDecision } | null;
}

export function proveProposal(proposal: NarrowProposal): ProposalProof {
  const judge = identityPolicyEvaluator([{ name: 'proposal', document: proposal.document }]);
  const judged = proposal.for.map(({ call, request }) => ({
    request,
    calls: call.calls,
    decision: judge(request),
  }));
  let neighbour: ProposalProof['neighbour'] = null;
  if (proposal.resource !== '*' && !proposal.widened) {
    const request = { action: proposal.action, resource: `${proposal.for[0]!.request.resource}-neighbour` };
    neighbour = { request, decision: judge(request) };
  }
  return {
    holds:
      judged.every(({ decision }) => decision.decision === 'allowed') &&
      (neighbour === null || neighbour.decision.decision !== 'allowed'),
    judged,
    neighbour,
  };
}

/** An eligible managed policy, with its document when the account's IAM holds it. */
export interface EligiblePolicy {
  arn: string;
  /** The document's JSON text; null when unknown (an AWS managed policy, say). */
  document: string | null;
}

/** A policy that covers the proposal, and the rule that lets someone ask for it. */
export interface Covering {
  policy: string;
  rule: string;
  approvers: string | null;
  maxDuration: string;
}

export type Eligibility =
  | { verdict: 'protected'; reason: string }
  | { verdict: 'no-rule'; reason: string }
  | { verdict: 'within'; reason: string; coveredBy: Covering[] }
  | { verdict: 'beyond'; reason: string; judged: string[] }
  | { verdict: 'unknown'; reason: string; unknown: string[]; notCovering: string[] };

/**
 * The requests an eligible policy must allow to cover a resource as the proposal writes it: the
 * ARN itself, and for a pattern (a prefix, a secret's suffix) the pattern as literal text and
 * with its wildcards filled short and long, so a policy allowing less than the pattern fails.
 */
export function coverageProbes(resource: string): string[] {
  if (!/[*?]/.test(resource)) return [resource];
  return [
    resource,
    resource.replace(/\*/g, '').replace(/\?/g, 'a'),
    resource.replace(/\*/g, 'revoker-probe/x/y.json').replace(/\?/g, 'Z'),
  ];
}

/** Does the document allow every request? Null when the evaluator cannot read or judge it. */
function allowsAll(arn: string, document: string, requests: PolicyRequest[]): boolean | null {
  try {
    const judge = identityPolicyEvaluator([{ name: arn, document }]);
    return requests.every((request) => judge(request).decision === 'allowed');
  } catch (error) {
    if (error instanceof UnsupportedPolicyError || error instanceof MalformedPolicyError) return null;
    throw error;
  }
}

export const UNKNOWN_ELIGIBLE =
  'eligible policies’ documents are not known, a grant of this needs an approver';

/**
 * Is the proposal within what the principal may be granted? The grant rules covering the
 * principal (`grantRulesCovering`) name managed policies: the proposal is within them when one
 * whose document is known allows every probe of its action and resource (the evaluator judges
 * it). When none known does, and some are not known, nobody can say: an approver must.
 */
export function eligibilityOf(
  proposal: Pick<NarrowProposal, 'action' | 'resource'>,
  rules: readonly NamedGrantRule[],
  documents: ReadonlyMap<string, string | null>,
  protectedBy: string | null,
): Eligibility {
  if (protectedBy !== null)
    return {
      verdict: 'protected',
      reason: `the principal is protected (${protectedBy}): it never receives a grant`,
    };
  if (rules.length === 0)
    return {
      verdict: 'no-rule',
      reason: 'no rule of access.grants covers the principal and its account: it may be granted nothing',
    };
  const requests = coverageProbes(proposal.resource).map((resource) => ({
    action: proposal.action,
    resource,
  }));
  const coveredBy: Covering[] = [];
  const unknown = new Set<string>();
  const notCovering = new Set<string>();
  for (const { name, rule } of rules)
    for (const arn of rule.policies) {
      const document = documents.get(arn) ?? null;
      const allowed = document === null ? null : allowsAll(arn, document, requests);
      if (allowed === null) unknown.add(arn);
      else if (allowed)
        coveredBy.push({ policy: arn, rule: name, approvers: rule.approvers, maxDuration: rule.maxDuration });
      else notCovering.add(arn);
    }
  if (coveredBy.length > 0)
    return {
      verdict: 'within',
      reason: `within ${[...new Set(coveredBy.map((covering) => covering.policy))].join(', ')}, which access.grants lets someone ask for on this principal`,
      coveredBy,
    };
  if (unknown.size > 0)
    return {
      verdict: 'unknown',
      reason: UNKNOWN_ELIGIBLE,
      unknown: [...unknown],
      notCovering: [...notCovering],
    };
  return {
    verdict: 'beyond',
    reason:
      'beyond every policy access.grants lets anyone ask for on this principal: granting it is a decision about who may define policies, not a just-in-time grant',
    judged: [...notCovering],
  };
}

/** A shell word: single-quoted unless plainly safe. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

export const NARROW_REQUEST_UNSUPPORTED =
  '`revoker jit request` attaches a managed policy named in access.grants, never a document: a narrow grant cannot be requested as it stands (who may define policies is a separate decision)';

/** How a person would ask for it: the nearest managed policy covering it, if any, and what that is not. */
export function requestAdvice(
  principalArn: string,
  proposal: Pick<NarrowProposal, 'action' | 'resource'>,
  eligibility: Eligibility,
): { command: string | null; note: string } {
  if (eligibility.verdict !== 'within') return { command: null, note: NARROW_REQUEST_UNSUPPORTED };
  const [nearest] = [...eligibility.coveredBy].sort(
    (a, b) => durationSeconds(a.maxDuration) - durationSeconds(b.maxDuration),
  );
  const duration = durationSeconds(nearest!.maxDuration) < 3600 ? nearest!.maxDuration : '1h';
  const command = [
    'revoker jit request --deployed URL',
    `--principal ${shellWord(principalArn)}`,
    `--policy ${shellWord(nearest!.policy)}`,
    `--for ${duration}`,
    `--reason ${shellWord(`needs ${proposal.action} (revoker jit propose)`)}`,
  ].join(' ');
  return {
    command,
    note: `${NARROW_REQUEST_UNSUPPORTED}. The nearest request is ${nearest!.policy} (${nearest!.rule}${
      nearest!.approvers
        ? `, approved by ${nearest!.approvers}`
        : ', granted at once only to your own principal'
    }), which allows more than ${proposal.action} on ${proposal.resource}.`,
  };
}
