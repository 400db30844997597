// A case in an account with approvers of its own is answered by them alone through the operator
// API, as its pages go to them alone: a responder the top level admits is refused, and audited.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callerOf } from '../../../../lib/domain/access.ts';
import { AccountsSchema } from '../../../../lib/domain/accounts.ts';
import { FileAuditLog } from '../../../../lib/local/audit-log.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import {
  answerCaseAs,
  type OperatorDependencies,
  OperatorRefusedError,
} from '../../../../lib/usecases/operator.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { trigger } from '../../../fixtures/escalation.ts';

const HOME = '146450651832';

describe('answerCaseAs in an account with approvers of its own', () => {
  it('refuses a responder who is not one of them, before anything takes effect', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-answer-'));
    const cases = new FileCaseStore(join(directory, 'cases'));
    const audit = new FileAuditLog(join(directory, 'audit.jsonl'));
    const clock = new SimulatedClock(new Date('2026-01-15T12:10:00Z'));
    await openTestCase(cases, trigger);
    const deps = {
      config: {
        ...(await shippedConfig()),
        accounts: AccountsSchema.parse({
          memberRoleName: 'revoker-member',
          enrolled: [{ id: trigger.target.accountId, approvers: [`arn:aws:iam::${HOME}:user/ciso`] }],
        }),
      },
      homeAccountId: HOME,
      cases,
      audit,
      clock,
    } as unknown as OperatorDependencies;
    const oncall = callerOf(`arn:aws:iam::${HOME}:user/oncall`)!;

    await expect(
      answerCaseAs(oncall, 'case-1', { answer: 'approve', reason: 'looks bad' }, deps),
    ).rejects.toThrow(
      new OperatorRefusedError(
        `account ${trigger.target.accountId}'s cases are answered by its own approvers (accounts.enrolled approvers), and arn:aws:iam::${HOME}:user/oncall is not one of them`,
      ),
    );
    expect(
      (await audit.list(new Date(0), clock.now())).map((entry) => [entry.action, entry.allowed]),
    ).toEqual([['case.answer', false]]);
    expect((await cases.get('case-1'))!.entries.map((entry) => entry.step)).toEqual(['opened']);
  });
});
