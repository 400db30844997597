// Verify containment: thin edge around the verify use case.
import middy from '@middy/core';
import { deployedHandler } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type VerifyDependencies, VerifyInputSchema, verify } from '../../lib/usecases/verify.ts';

export function createVerifyHandler(deps: VerifyDependencies) {
  return middy(async (event: unknown) => verify(parseAtEdge(VerifyInputSchema, event, 'verify input'), deps));
}

export const handler = deployedHandler('verify', ['Athena', 'DynamoDB']);
