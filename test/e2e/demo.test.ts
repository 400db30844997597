import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerApprovals } from '../../cli/approvals.ts';
import { DemoDirectoryError, type DemoOptions, LINE_WIDTH, runDemo } from '../../cli/demo.ts';
import { ApprovalGrantSchema } from '../../lib/domain/approval.ts';
import { entriesOf } from '../../lib/domain/case.ts';
import type { Config } from '../../lib/domain/config.ts';
import { FileCaseStore } from '../../lib/local/case-store.ts';
import type { IamAccountState } from '../../lib/local/iam-account.ts';
import type { SentPayloads } from '../../lib/local/notifier.ts';
import { revokerInProcess } from '../fixtures/cli.ts';
import { shippedConfig } from '../fixtures/config.ts';
import { approvalUrlsIn } from '../fixtures/escalation.ts';
import { ESCALATED_AND_APPROVED } from '../fixtures/workflow.ts';

const now = new Date('2026-01-15T12:00:00Z');
/** The automatic story alone, with the configuration changed and the on-call doing `onCall`. */
async function demoWith(change: (config: Config) => Config, onCall: DemoOptions['onCall'] = 'approve') {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-demo-'));
  const lines: string[] = [];
  const demo = await runDemo({
    directory,
    config: change(await shippedConfig()),
    now,
    events: 6000,
    print: (line) => lines.push(line),
    verbose: true,
    onCall,
    stories: ['automatic'],
  });
  const iam = JSON.parse(readFileSync(demo.iamAccountFile, 'utf8')) as IamAccountState;
  return { result: { ...demo.stories[0]!, policyName: demo.policyName }, lines, iam };
}

describe('the demo, through the real state machine on the embedded default', () => {
  it('tells three stories, each ending contained: automatic, escalated and approved, offboarding', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-demo-'));
    const lines: string[] = [];

    const demo = await runDemo({
      directory,
      config: await shippedConfig(),
      now,
      events: 6000,
      print: (line) => lines.push(line),
    });

    expect(demo.stories.map((story) => [story.story, story.outcome])).toEqual([
      ['automatic', 'contained'],
      ['escalation', 'contained'],
      ['offboarding', 'contained'],
    ]);
    const [, escalation, offboarding] = demo.stories;
    // The backdoor user's calls are all taken in before its case is confirmed (as the demo
    // delivers them): the one confirmation already sees the raised case.
    expect(escalation!.path.slice(0, ESCALATED_AND_APPROVED.length)).toEqual(ESCALATED_AND_APPROVED);
    expect(offboarding!.path.slice(0, 3)).toEqual(['Origin', 'Offboard', 'RevokedOrPlanned']);
    const iam = JSON.parse(readFileSync(demo.iamAccountFile, 'utf8')) as IamAccountState;
    expect(iam.users['svc-backup']!.accessKeys.map((key) => key.status)).toEqual(['Inactive']);
    expect(iam.users.alice!.accessKeys.map((key) => key.status)).toEqual(['Inactive']);
    // The backdoor user's SendCommand opened a notify-only case; its StopLogging raised it to
    // one that asks the on-call, before anyone was paged.
    const escalated = (await new FileCaseStore(dirname(escalation!.caseFile)).get(escalation!.caseId))!;
    expect(escalated.entries[0]).toMatchObject({
      step: 'opened',
      detail: {
        eventName: 'SendCommand',
        ranking: { ruleId: 'ssm-command-by-person', severity: 'medium', response: 'notify' },
      },
    });
    expect(entriesOf(escalated, 'raise')).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          eventName: 'StopLogging',
          from: { ruleId: 'ssm-command-by-person', severity: 'medium', response: 'notify' },
          to: { ruleId: 'cloudtrail-stopped-or-deleted', severity: 'critical', response: 'escalate' },
          revision: 1,
        }),
      }),
    ]);
    expect(escalated.header).toMatchObject({
      revision: 1,
      outcome: 'contained',
      trigger: { eventName: 'SendCommand' },
      standing: {
        ruleId: 'cloudtrail-stopped-or-deleted',
        severity: 'critical',
        response: 'escalate',
        trigger: { eventName: 'StopLogging', ruleId: 'cloudtrail-stopped-or-deleted' },
      },
    });
    // The on-call was asked once, on the raised case, and approved; it was confirmed once, raised.
    expect(entriesOf(escalated, 'escalate').map((entry) => entry.detail.revision)).toEqual([1]);
    expect(entriesOf(escalated, 'confirm').map((entry) => entry.detail.revision)).toEqual([1]);
    expect(escalated.entries.map((entry) => entry.step)).toEqual(
      expect.arrayContaining(['raise', 'escalate', 'decision', 'revoke-intent', 'revoked', 'close']),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/detect +SendCommand: rule ssm-command-by-person opened a case/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/detect +StopLogging: rule cloudtrail-stopped-or-deleted raised the case/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/paged \(SNS and Slack.*\): cloudtrail-stopped-or-deleted on user\/svc-backup$/),
    );
    // Without --verbose every line fits in 120 characters, ARNs shortened and long summaries cut.
    expect(lines.flatMap((line) => line.split('\n')).filter((line) => line.length > LINE_WIDTH)).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^\S+ +verify +attempt 2: attempts-denied\. .{20,} …$/),
    );
    expect(lines.filter((line) => line.includes('paged (SNS and Slack')).length).toBeGreaterThanOrEqual(4);
    // What decided comes first in a line cut to fit: the backdoor user's score is high, but it has no history.
    expect(lines).toContainEqual(
      expect.stringMatching(
        /confirm +ambiguous \(score \d+\): Too little history: 0 baseline calls where at least/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /detect +1 case opened, then \d+ calls joined it, each as it came; \d+ others passed/,
      ),
    );
  });

  it('sends each approver’s link to that approver alone, and no link to everyone or to Slack', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-demo-'));
    const approvers = ['oncall@example.com', 'sam@example.com', 'arn:aws:iam::111122223333:user/kim'];
    const config = await shippedConfig();

    await runDemo({
      directory,
      // Every case asks the on-call: the protected role, and the rules that escalate anyway.
      config: {
        ...config,
        escalation: { ...config.escalation, approvers },
        guardRails: { ...config.guardRails, protectedPrincipals: ['arn:aws:iam::*:role/service/app-*'] },
      },
      now,
      events: 6000,
      print: () => undefined,
    });

    const sent = readFileSync(join(directory, 'notifications.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SentPayloads);
    /** Who each approval link in a payload is for, from its signed token. */
    const addressees = (payload: unknown) =>
      approvalUrlsIn(JSON.stringify(payload)).map((url) => {
        const token = new URL(url).searchParams.get('link')!;
        const claims = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
        return ApprovalGrantSchema.parse(claims).approver;
      });
    const own = sent.filter((payload) => payload.audience === 'approver');
    // Two escalated cases (the protected role, the backdoor user's StopLogging), each paged to all.
    expect(own.length).toBeGreaterThanOrEqual(2 * approvers.length);
    expect(new Set(own.map((payload) => payload.approver))).toEqual(new Set(approvers));
    for (const payload of sent) {
      if (payload.audience === 'approver') {
        expect(payload.sns.attributes).toMatchObject({ audience: 'approver', approver: payload.approver });
        expect(addressees(payload)).toEqual([payload.approver]);
        expect(payload.slack).toBeNull();
      } else {
        expect(payload.sns.attributes).toMatchObject({ audience: 'everyone' });
        expect(payload.sns.attributes).not.toHaveProperty('approver');
        expect(addressees(payload)).toEqual([]);
      }
      expect(JSON.stringify(payload.slack)).not.toMatch(/link=|"url"|localhost:8787|lambda-url/);
    }
  });

  it('contains the stolen session: deny written to the IAM account, verified from the logs', async () => {
    const { result, iam, lines } = await demoWith((config) => config);

    expect(result.outcome).toBe('contained');
    expect(result.path.slice(0, 6)).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'Revoke',
      'RevokedOrPlanned',
    ]);
    expect(result.path.slice(-4)).toEqual(['MarkContained', 'Close', 'Raised?', 'Closed']);
    // Verification waited for the logs at least once before calling it contained.
    expect(result.path.filter((state) => state === 'Verify').length).toBeGreaterThanOrEqual(2);
    const deny = JSON.parse(iam.roles['app-server']!.inlinePolicies[result.policyName!]!);
    expect(deny.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Action: '*',
    });
    expect(lines.join('\n')).toMatch(/attempts-denied/);
    const record = (await new FileCaseStore(dirname(result.caseFile)).get(result.caseId))!;
    // Every session issued before the revocation, which follows the attack's last call delivered.
    expect(deny.Statement[0].Condition).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': entriesOf(record, 'revoke-intent')[0]!.at },
    });
    // Each call reaches detect at its own time, a minute after it (the demo's EventBridge delay):
    // the case opens right after the attacker's first call, and each later call joins as it comes.
    const aMinuteAfter = (time: string) =>
      new Date(Date.parse(time) + 60_000).toISOString().replace('.000Z', 'Z');
    expect(record.header.openedAt).toBe(aMinuteAfter(record.header.trigger.eventTime));
    const calls = record.entries.filter((entry) => entry.step === 'detection' || entry.step === 'raise');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.at).toBe(aMinuteAfter(call.detail.eventTime as string));
    expect(new Set(calls.map((call) => call.at)).size).toBeGreaterThan(1);
  });

  it('changes nothing in IAM in dry-run mode', async () => {
    const { result, iam } = await demoWith((config) => ({ ...config, mode: 'dry-run' }));

    expect(result.outcome).toBe('dry-run');
    expect(iam.roles['app-server']!.inlinePolicies).toEqual({});
    expect(result.path).not.toContain('Verify');
  });

  const protectedRole = (config: Config): Config => ({
    ...config,
    guardRails: { ...config.guardRails, protectedPrincipals: ['arn:aws:iam::*:role/service/app-*'] },
  });

  it('asks the on-call about a protected principal and revokes it once they approve', async () => {
    const { result, iam } = await demoWith(protectedRole, 'approve');

    expect(result.path.slice(0, ESCALATED_AND_APPROVED.length)).toEqual(ESCALATED_AND_APPROVED);
    expect(result.outcome).toBe('contained');
    expect(Object.keys(iam.roles['app-server']!.inlinePolicies)).toEqual([result.policyName]);
  });

  it('leaves a protected principal alone when the on-call rejects', async () => {
    const { result, iam } = await demoWith(protectedRole, 'reject');

    expect(result.outcome).toBe('rejected');
    expect(result.path).not.toContain('Revoke');
    expect(iam.roles['app-server']!.inlinePolicies).toEqual({});
  });

  it('never revokes a protected principal on a timeout, even where the severity says revoke', async () => {
    const { result, iam } = await demoWith(protectedRole, 'nobody');

    expect(result.path).toEqual(
      expect.arrayContaining(['ApprovalTimedOut', 'RevokeOnTimeout', 'Revoke', 'RevokeRefused']),
    );
    expect(result.outcome).toBe('needs-human');
    expect(iam.roles['app-server']!.inlinePolicies).toEqual({});
  });

  it('waits for a trail region nobody uses until revoker’s heartbeat there is delivered', async () => {
    const { result, lines } = await demoWith((config) => ({
      ...config,
      verify: { ...config.verify, regions: [...config.verify.regions, 'ap-southeast-2'] },
    }));

    expect(result.outcome).toBe('contained');
    expect(lines.join('\n')).toMatch(/Logs are complete past \S+ in ap-southeast-2, eu-west-1, us-east-1/);
  });

  it('never claims containment when the logs do not catch up', async () => {
    const { result } = await demoWith((config) => ({
      ...config,
      verify: { ...config.verify, waitSeconds: 0, maxAttempts: 2 },
    }));

    expect(result.outcome).toBe('needs-human');
    expect(result.path.slice(-4)).toEqual(['MarkUnverified', 'Close', 'Raised?', 'Closed']);
  });

  it('refuses to replace a directory it did not make, and replaces its own', async () => {
    const config = await shippedConfig();
    const directory = mkdtempSync(join(tmpdir(), 'revoker-demo-'));
    const precious = join(directory, 'precious.txt');
    writeFileSync(precious, "not the demo's");
    const quiet = { config, now, events: 3000, print: () => undefined };

    await expect(runDemo({ ...quiet, directory })).rejects.toThrow(DemoDirectoryError);
    expect(existsSync(precious)).toBe(true);

    const own = join(directory, 'demo');
    await runDemo({ ...quiet, directory: own, stories: ['automatic'] });
    const again = await runDemo({ ...quiet, directory: own, stories: ['automatic'] });
    expect(again.stories[0]!.outcome).toBe('contained');
  });

  it('waiting for a person, prints an approve command for its own --dir that works as printed', async () => {
    const config = await shippedConfig();
    const directory = join(mkdtempSync(join(tmpdir(), 'revoker-demo-')), 'elsewhere');
    const approvalUrl = `http://localhost:${await freePort()}/approval`;
    let printed: string | undefined;
    let answered: ReturnType<typeof revokerInProcess> | undefined;

    const demo = await runDemo({
      directory,
      // Now, not a fixed day: the person answers on the real clock, before the case's deadline.
      config: { ...config, escalation: { ...config.escalation, approvalUrl } },
      events: 3000,
      stories: ['escalation'],
      onCall: 'human',
      print: (line) => {
        const command = /npx revoker (approve .*)$/.exec(line.trimEnd())?.[1];
        if (!command) return;
        printed = command;
        // As the person would, in another terminal: the command as printed, word for word.
        answered = revokerInProcess([registerApprovals], ...command.split(' '));
      },
    });

    expect(printed).toContain(
      `--cases ${join(directory, 'cases')} --callbacks ${join(directory, 'callbacks')}`,
    );
    expect(await answered).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Approved: case /) });
    expect(demo.stories[0]!.outcome).toBe('contained');
  });
});

/** A port nothing listens on, for the approval page. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
