// Confirm a trigger: thin edge around the confirm use case.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { type ConfirmDependencies, ConfirmInputSchema, confirm } from '../usecases/confirm.ts';

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
