// `revoker approve | reject | acknowledge` from another process answer an execution waiting
// in this one, through the local task tokens, as on-call engineers with credentials would.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSigningKeys } from '../../lib/local/signing-keys.ts';
import { showApprovalPage } from '../../lib/usecases/approval-page.ts';
import { revoker } from '../fixtures/cli.ts';
import { escalationParts, linkFor, pageOnCall, trigger } from '../fixtures/escalation.ts';
import { roleTarget } from '../fixtures/records.ts';

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

    const self = await revoker('approve', 'case-1', '--approver', roleTarget(trigger).roleArn, ...where);
    const unknown = await revoker('approve', 'no-such-case', '--approver', 'oncall@example.com', ...where);

    expect(self).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('is the principal under revocation'),
    });
    expect(unknown).toMatchObject({ code: 1, stderr: 'revoker: no case no-such-case\n' });
  });
});

describe('revoker approvals rotate', () => {
  it('rotates the local keys: a link signed before keeps working, one signed two rotations ago stops', async () => {
    const { parts } = await waitingCase();
    const link = linkFor(parts, 'oncall@example.com');
    const file = join(parts.directory, 'approval-keys.json');
    const signedWith = (await parts.keys.current()).id;

    const first = await revoker('approvals', 'rotate', '--keys-file', file);
    const afterOne = await showApprovalPage(link, parts);
    const second = await revoker('approvals', 'rotate', '--keys-file', file);
    const afterTwo = await showApprovalPage(link, parts);

    const current = await new FileSigningKeys(file).current();
    expect(first).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`links signed with ${signedWith} work until they expire`),
    });
    expect(afterOne.status).toBe(200);
    expect(second).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`links signed with ${signedWith} no longer verify`),
    });
    expect(second.stdout).toContain(`new links are signed with key ${current.id}`);
    expect(afterTwo.status).toBe(403);
    expect(afterTwo.html).toContain(
      `the link names a signing key revoker does not hold (key ID ${signedWith}:`,
    );
  });
});
