import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Case, closeHeader, type Outcome } from '../../../../lib/domain/case.ts';
import {
  archiveObjectsFor,
  CaseExportError,
  canonicalJson,
  exportLine,
  ocsfFinding,
} from '../../../../lib/domain/case-export.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { trigger } from '../../../fixtures/escalation.ts';

async function openCase(): Promise<Case> {
  return openTestCase(new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-export-'))), trigger);
}
const closedAs = (record: Case, outcome: Outcome): Case => ({
  ...record,
  header: closeHeader(record.header, outcome, '2026-01-15T12:40:00Z'),
});

describe('the OCSF finding of a closed case', () => {
  it('maps the outcome to the finding status honestly: contained Resolved, benign Suppressed, the rest Other', async () => {
    const record = await openCase();

    const statuses = (['contained', 'benign', 'needs-human', 'dry-run'] as const).map((outcome) => {
      const finding = ocsfFinding(closedAs(record, outcome));
      return [finding.status_id, finding.status];
    });

    expect(statuses).toEqual([
      [4, 'Resolved'],
      [3, 'Suppressed'],
      [99, 'needs-human'],
      [99, 'dry-run'],
    ]);
  });

  it('carries the severity, times, account and principal, and the rest of the case under unmapped', async () => {
    const record = closedAs(await openCase(), 'contained');

    const finding = ocsfFinding(record);

    expect(finding).toMatchObject({
      class_uid: 2004,
      type_uid: 200403,
      severity_id: 4,
      severity: 'High',
      time: Date.parse('2026-01-15T12:40:00Z'),
      start_time: Date.parse(trigger.eventTime),
      finding_info: { uid: 'case-1', types: [trigger.ruleId] },
      cloud: { provider: 'AWS', region: trigger.region, account: { uid: trigger.target.accountId } },
      resources: [{ type: 'AWS::IAM::Role' }],
      unmapped: { outcome: 'contained', origin: 'detection', trigger, timeline: record.entries },
    });
    expect(record.header.standing.severity).toBe('high');
  });

  it('refuses an open case: only a closed case is final', async () => {
    const record = await openCase();

    expect(() => ocsfFinding(record)).toThrow(CaseExportError);
    expect(() => archiveObjectsFor(record)).toThrow(/still open/);
  });
});

describe('canonicalJson', () => {
  it('gives the same text whatever order the keys were read in', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [2, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  it('keeps each exported case on one line', async () => {
    const line = exportLine(closedAs(await openCase(), 'benign'), 'json');

    expect(line).not.toContain('\n');
  });
});
