import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { lastEntry } from '../../../../lib/domain/case.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { createConfirmHandler } from '../../../../lib/handlers/confirm.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);

// No logs at all: the runbooks run and answer, with nothing to compare against.
const engine = await DuckDbQueryEngine.open(mkdtempSync(join(tmpdir(), 'revoker-no-logs-')));
afterAll(() => engine.close());

describe('confirm handler', () => {
  it('returns counts of evidence rows to the state machine and keeps the rows on the case', async () => {
    const cases = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-cases-')));
    await openTestCase(cases, trigger, { caseId: 'case-1' });
    const handler = createConfirmHandler({
      engine,
      runbooks: loadRunbooks(),
      config: await shippedConfig(),
      clock: new SimulatedClock(new Date(trigger.eventTime)),
      cases,
    });

    const result = await handler({ caseId: 'case-1', trigger }, {} as Context);

    expect(result).toMatchObject({ verdict: 'ambiguous', decision: 'escalate', revision: 0, trigger });
    expect(result.evidence).toEqual([
      { runbook: 'first-seen', rows: 1, bytesScanned: null },
      { runbook: 'error-burst', rows: 0, bytesScanned: null },
      { runbook: 'persistence-created', rows: 0, bytesScanned: null },
    ]);
    const entry = lastEntry((await cases.get('case-1'))!, 'confirm');
    expect(entry!.detail.evidence[0]!.rows).toEqual([
      expect.objectContaining({ baseline_events: 0, from_source_ip: 0 }),
    ]);
  });
});
