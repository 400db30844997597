// `revoker approve | reject | acknowledge` from another process answer an execution waiting
// in this one, through the local task tokens, as on-call engineers with credentials would.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { revoker } from '../fixtures/cli.ts';
import { escalationParts, pageOnCall } from '../fixtures/escalation.ts';

async function waitingCase() {
  const parts = await escalationParts();
  const { answer } = await pageOnCall(parts);
  const where = [
    '--cases',
    join(parts.directory, 'cases'),
    '--callbacks',
    join(parts.directory, 'callbacks'),
  ];
  return { parts, answer, where };
}

describe('revoker approve, reject and acknowledge', () => {
  it('approves a waiting case from another process, recorded as the named approver', async () => {
    const { parts, answer, where } = await waitingCase();

    const acknowledged = await revoker('acknowledge', 'case-1', '--approver', 'oncall@example.com', ...where);
    const approved = await revoker('approve', 'case-1', '--approver', 'oncall@example.com', ...where);

    expect(acknowledged).toMatchObject({
      code: 0,
      stdout: 'Acknowledged: case case-1, recorded as oncall@example.com.\n',
    });
    expect(approved).toMatchObject({
      code: 0,
      stdout: 'Approved: case case-1, recorded as oncall@example.com.\n',
    });
    await expect(answer).resolves.toMatchObject({ decision: 'approved', approver: 'oncall@example.com' });
    expect((await parts.cases.get('case-1'))!.entries.map((entry) => entry.step)).toEqual([
      'opened',
      'escalate',
      'acknowledge',
      'decision',
    ]);
  });

  it('rejects only with a reason', async () => {
    const { answer, where } = await waitingCase();

    const withoutReason = await revoker('reject', 'case-1', '--approver', 'oncall@example.com', ...where);
    const rejected = await revoker(
      'reject',
      'case-1',
      '--approver',
      'oncall@example.com',
      '--reason',
      'a planned penetration test',
      ...where,
    );

    expect(withoutReason.code).not.toBe(0);
    expect(withoutReason.stderr).toBe('revoker: a rejection needs a reason\n');
    expect(rejected.code).toBe(0);
    await expect(answer).rejects.toMatchObject({ name: 'revoker.Rejected' });
  });

  it('refuses the principal under revocation, and a case that is not waiting', async () => {
    const { where } = await waitingCase();

    const self = await revoker('approve', 'case-1', '--approver', 'i-786a3A8B5C0d92eF4', ...where);
    const unknown = await revoker('approve', 'no-such-case', '--approver', 'oncall@example.com', ...where);

    expect(self).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('is the principal under revocation'),
    });
    expect(unknown).toMatchObject({ code: 1, stderr: 'revoker: no case no-such-case\n' });
  });
});
