// Run one runbook by hand, as an on-call engineer does from the CLI: bind and validate the
// values, run the query, and add what the catalog knows beyond SQL (IAM action names).
import type { QueryEngine, QueryRequest, QueryResult } from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { withIamActions } from '../runbooks/iam-actions.ts';

export interface RunbookRun {
  runbook: Runbook;
  request: QueryRequest;
  result: QueryResult;
}

/** The request a run would send, without running it: for `--explain`. */
export function planRunbook(runbooks: Map<string, Runbook>, id: string, values: Record<string, string>) {
  const runbook = requireRunbook(runbooks, id);
  return { runbook, request: bindRunbook(runbook, values) };
}

export async function runRunbook(
  runbooks: Map<string, Runbook>,
  engine: QueryEngine,
  id: string,
  values: Record<string, string>,
): Promise<RunbookRun> {
  const { runbook, request } = planRunbook(runbooks, id, values);
  const result = await engine.run(request);
  if (runbook.id !== 'used-actions') return { runbook, request, result };
  return {
    runbook,
    request,
    result: {
      ...result,
      columns: [...result.columns, 'iam_action'],
      rows: await withIamActions(result.rows),
    },
  };
}
