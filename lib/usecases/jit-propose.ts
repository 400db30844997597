// `revoker jit propose`: for the calls a principal was refused in a window, the narrowest grant
// each needs, proved with the policy evaluator and judged against access.grants. It reads the
// logs, the configuration and the account's IAM; it grants nothing and records nothing.

import { grantRulesCovering } from '../domain/access.ts';
import type { Config } from '../domain/config.ts';
import { isProtected } from '../domain/config.ts';
import type { IamAccountState } from '../domain/iam-state.ts';
import { own } from '../domain/iam-state.ts';
import {
  type Eligibility,
  eligibilityOf,
  type NarrowProposal,
  type ProposalProof,
  proposeNarrowGrants,
  proveProposal,
  requestAdvice,
  type Unproposed,
} from '../domain/jit-proposal.ts';
import { toInstant } from '../domain/time.ts';
import type { QueryEngine } from '../ports.ts';
import type { Runbook } from '../runbooks/catalog.ts';
import { currentPoliciesOf, factsFor, type LogWindow, partitionOf, refusedCalls } from './refine.ts';

export interface ProposeInput extends LogWindow {
  /** Objects: the folder's stable prefix instead of the exact object. */
  widen?: boolean;
}

export interface ProposeDependencies {
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  config: Config;
  /** The account's IAM: the principal's policies, and the eligible policies' documents. */
  iam: IamAccountState | null;
}

export interface JudgedProposal extends NarrowProposal {
  proof: ProposalProof;
  eligibility: Eligibility;
  /** How a person would ask for it (never done here). */
  request: { command: string | null; note: string };
}

export interface JitProposalReport {
  principal: string;
  account: string;
  start: string;
  end: string;
  widen: boolean;
  /** Kinds of refused call (API and resource) in the window. */
  refused: number;
  proposals: JudgedProposal[];
  unproposed: Unproposed[];
  /** Always false: a proposal is printed, never granted. */
  granted: false;
}

export async function proposeJit(input: ProposeInput, deps: ProposeDependencies): Promise<JitProposalReport> {
  const held = deps.iam ? currentPoliciesOf(deps.iam, input.principal) : null;
  const gaps = await refusedCalls(input, deps, held?.documents ?? null, held?.revokers ?? []);
  const context = {
    partition: partitionOf(input.principal),
    account: input.account,
    facts: await factsFor(new Set(gaps.flatMap((gap) => (gap.action ? [gap.action] : [])))),
  };
  const { proposals, unproposed } = proposeNarrowGrants(gaps, context, { widen: input.widen === true });

  const rules = grantRulesCovering(input.principal, deps.config.access);
  const documents = new Map<string, string | null>();
  for (const arn of rules.flatMap(({ rule }) => rule.policies))
    documents.set(arn, deps.iam ? (own(deps.iam.managedPolicies, arn)?.document ?? null) : null);
  const protectedBy = isProtected(input.principal, deps.config);

  return {
    principal: input.principal,
    account: input.account,
    start: toInstant(input.start),
    end: toInstant(input.end),
    widen: input.widen === true,
    refused: gaps.length,
    proposals: proposals.map((proposal) => {
      const eligibility = eligibilityOf(proposal, rules, documents, protectedBy);
      return {
        ...proposal,
        proof: proveProposal(proposal),
        eligibility,
        request: requestAdvice(input.principal, proposal, eligibility),
      };
    }),
    unproposed,
    granted: false,
  };
}
