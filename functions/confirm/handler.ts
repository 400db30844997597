// Confirm a trigger: thin edge around the confirm use case.
import middy from '@middy/core';
import { deployedHandler } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type ConfirmDependencies, ConfirmInputSchema, confirm } from '../../lib/usecases/confirm.ts';

export function createConfirmHandler(deps: ConfirmDependencies) {
  return middy(async (event: unknown) =>
    confirm(parseAtEdge(ConfirmInputSchema, event, 'confirm input'), deps),
  );
}

export const handler = deployedHandler('confirm', ['Athena', 'DynamoDB']);
