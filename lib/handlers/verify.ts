// Verify containment, or watch an applied refinement for access-denied errors: the function
// that reads the logs after a change. Thin edge around the verify and refinement use cases.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { RefinementStepInputSchema, watchRefinement } from '../usecases/refinement.ts';
import { type VerifyDependencies, VerifyInputSchema, verify } from '../usecases/verify.ts';

export function createVerifyHandler(deps: VerifyDependencies) {
  return middy(async (event: unknown) => {
    if (typeof event === 'object' && event !== null && 'refinementStep' in event) {
      const step = parseAtEdge(RefinementStepInputSchema, event, 'refinement step input');
      if (step.refinementStep === 'watch') return watchRefinement(step, deps);
      throw new Error(`the verify function does not take the refinement step ${step.refinementStep}`);
    }
    return verify(parseAtEdge(VerifyInputSchema, event, 'verify input'), deps);
  });
}
