// Confirm a trigger: thin edge around the confirm use case.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type ConfirmDependencies, ConfirmInputSchema, confirm } from '../../lib/usecases/confirm.ts';

export function createConfirmHandler(deps: ConfirmDependencies) {
  return middy(async (event: unknown) => {
    const { evidence, ...confirmation } = await confirm(
      parseAtEdge(ConfirmInputSchema, event, 'confirm input'),
      deps,
    );
    // The evidence rows stay on the case: a task result over 256 KB fails the state machine.
    return {
      ...confirmation,
      evidence: evidence.map(({ runbook, rows, bytesScanned }) => ({
        runbook,
        rows: rows.length,
        bytesScanned,
      })),
    };
  });
}

export const handler = deployed(async () =>
  createConfirmHandler({
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
