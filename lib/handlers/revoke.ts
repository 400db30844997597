// Revoke a confirmed case, or apply (and roll back) an approved refinement: the function that
// changes IAM for a case. Thin edge around the revoke and refinement use cases.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { applyRefinement, RefinementStepInputSchema, rollBackRefinement } from '../usecases/refinement.ts';
import { type RevokeDependencies, RevokeInputSchema, revoke } from '../usecases/revoke.ts';

export function createRevokeHandler(deps: RevokeDependencies) {
  return middy(async (event: unknown) => {
    if (typeof event === 'object' && event !== null && 'refinementStep' in event) {
      const step = parseAtEdge(RefinementStepInputSchema, event, 'refinement step input');
      if (step.refinementStep === 'apply') return applyRefinement(step, deps);
      if (step.refinementStep === 'roll-back') return rollBackRefinement(step.caseId, deps);
      throw new Error(`the revoke function does not take the refinement step ${step.refinementStep}`);
    }
    return revoke(parseAtEdge(RevokeInputSchema, event, 'revoke input'), deps);
  });
}
