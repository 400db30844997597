// An organisation, locally: three accounts on one organisation trail (with a key prefix), each
// with a role named app-server, and the same stolen-session attack in two of them. revoker runs
// in the security account (A) with one member account enrolled (B). The attack in B is revoked
// in B, through B's member role, and verified from B's logs; A's role of the same name is never
// touched; the attack in C, not enrolled, changes nothing anywhere and goes to a human saying why.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, entriesOf, executionNameOf } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { matchesEventPattern } from '../../../../lib/domain/event-pattern.ts';
import { RULES } from '../../../../lib/domain/rules.ts';
import { generate, writeCalls } from '../../../../lib/local/generator/generate.ts';
import { heartbeatCalls } from '../../../../lib/local/generator/heartbeat.ts';
import { LogWriter } from '../../../../lib/local/generator/log-writer.ts';
import { Random } from '../../../../lib/local/generator/random.ts';
import { type ScenarioTruth, stolenSessionRetries } from '../../../../lib/local/generator/scenarios.ts';
import type { Account } from '../../../../lib/local/generator/world.ts';
import {
  authorizerFor,
  type IamAccountState,
  initialAccountState,
  LocalIamAccount,
} from '../../../../lib/local/iam-account.ts';
import { type LocalPipeline, openLocalPipeline, SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import type { DetectOutcome } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { pipelineFilesIn } from '../../../fixtures/pipeline-files.ts';

const END = new Date('2026-01-15T12:00:00Z');
const LAYOUT = { organizationId: 'o-a1b2c3d4e5', prefix: 'trails/central' };

let directory: string;
let logs: string;
let member: Account;
let unenrolled: Account;
let security: Account;
let truths: ScenarioTruth[];
let pipeline: LocalPipeline;
let clock: SimulatedClock;
const before = new Map<string, IamAccountState>();
const iamOf = (account: Account) =>
  new LocalIamAccount(LocalIamAccount.pathFor(join(directory, 'iam'), account.id));

/** S3 as it fills: B's calls up to `until`, judged by B's IAM as it is (denied once revoked). */
class MemberLogs {
  private delivered = END;
  private delivery = 0;
  deliverUntil(until: Date): void {
    if (until <= this.delivered) return;
    const writer = new LogWriter(logs, `delivery-${++this.delivery}`, LAYOUT);
    writeCalls(writer, new Random(`org-${this.delivery}`), [member], this.delivered, until, 40, {
      authorizer: authorizerFor(iamOf(member).file),
      extra: [
        ...stolenSessionRetries(member, truths[0]!, this.delivered, until),
        // The member stack's heartbeat: every region delivers past the cutoff even when quiet.
        ...heartbeatCalls(member, ['us-east-1', 'eu-west-1'], this.delivered, until),
      ].sort((a, b) => a.time.getTime() - b.time.getTime()),
    });
    writer.flush();
    this.delivered = until;
  }
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-organisation-'));
  logs = join(directory, 'logs');
  const generated = generate({
    out: logs,
    days: 2,
    events: 6000,
    accounts: 3,
    seed: 'organisation',
    // The first scenario lands in the first account, the second in the second.
    scenarios: ['compromised-role-session', 'compromised-role-session'],
    end: END,
    attackLeadMinutes: 30,
    layout: LAYOUT,
  });
  [member, unenrolled, security] = generated.accounts as [Account, Account, Account];
  truths = generated.scenarios;
  for (const account of [member, unenrolled, security]) {
    await iamOf(account).save(initialAccountState(account));
    before.set(account.id, await iamOf(account).load());
  }
  const shipped = await shippedConfig();
  const config: Config = {
    ...shipped,
    accounts: { memberRoleName: 'revoker-member', enrolled: [{ id: member.id, name: 'workloads' }] },
  };
  clock = new SimulatedClock(END);
  const world = new MemberLogs();
  pipeline = await openLocalPipeline({
    logs,
    // revoker's own account: the security account, which is not enrolled.
    iamAccountFile: iamOf(security).file,
    ...(await pipelineFilesIn(directory)),
    config,
    clock,
    around: {
      verify: (run) => async (event) => {
        const input = event as { settings: { logDeliveryWaitSeconds: number } };
        clock.advance(input.settings.logDeliveryWaitSeconds);
        world.deliverUntil(new Date(clock.now().getTime() - 180_000));
        return run(event);
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await pipeline?.close();
});

/** The attacker's calls in `account` that the detect rules' patterns deliver, as EventBridge envelopes. */
async function attackEnvelopes(account: Account, truth: ScenarioTruth) {
  const envelopes = [];
  for await (const entry of readRecordFiles([logs])) {
    if (
      entry.kind === 'parsed' &&
      entry.record.recipientAccountId === account.id &&
      entry.record.sourceIPAddress === truth.attackerIp
    ) {
      const envelope = envelopeFor(entry.record, `org-${entry.record.eventID}`);
      if (RULES.some((rule) => matchesEventPattern(rule.eventPattern, envelope))) envelopes.push(envelope);
    }
  }
  return envelopes.sort((a, b) => a.time.localeCompare(b.time));
}

async function openCaseFor(account: Account, truth: ScenarioTruth): Promise<string> {
  const outcomes: DetectOutcome[] = [];
  for (const envelope of await attackEnvelopes(account, truth))
    outcomes.push(...((await pipeline.detect(envelope)) as DetectOutcome[]));
  const opened = outcomes.filter((outcome) => outcome.status === 'opened');
  expect(opened).toHaveLength(1);
  return (opened[0] as { caseId: string }).caseId;
}

async function untilEntry(caseId: string, step: string): Promise<Case> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const record = (await pipeline.cases.get(caseId))!;
    if (record.entries.some((entry) => entry.step === step)) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`case ${caseId} never reached ${step}`);
}

describe('revoker in the security account, one member account enrolled', () => {
  it('contains the attack in the member account, through its member role, verified from its logs; the security account is untouched', async () => {
    const caseId = await openCaseFor(member, truths[0]!);
    await pipeline.workflow.executions.get(executionNameOf(caseId))!.output;

    const record = (await pipeline.cases.get(caseId))!;
    expect(record.header.trigger.target).toMatchObject({ accountId: member.id });
    expect(record.header.outcome).toBe('contained');
    const [intent] = entriesOf(record, 'revoke-intent');
    expect(intent!.summary).toContain(
      `in account ${member.id} through arn:aws:iam::${member.id}:role/revoker-member`,
    );
    // B's app-server role denies the sessions issued before the cutoff.
    const changed = await iamOf(member).load();
    expect(Object.keys(changed.roles['app-server']!.inlinePolicies)).toContain('revoker-revocation');
    // A's and C's roles of the same name are exactly as they were.
    expect(await iamOf(security).load()).toEqual(before.get(security.id));
    expect(await iamOf(unenrolled).load()).toEqual(before.get(unenrolled.id));
  }, 300_000);

  it('changes nothing for an account not enrolled, and hands the case to a human with the reason', async () => {
    const caseId = await openCaseFor(unenrolled, truths[1]!);
    const record = await untilEntry(caseId, 'escalate');

    expect(record.header.trigger.target).toMatchObject({ accountId: unenrolled.id });
    expect(entriesOf(record, 'revoke-intent')).toEqual([]);
    const escalation = JSON.stringify(entriesOf(record, 'escalate'));
    expect(escalation).toContain(`account ${unenrolled.id} is not enrolled`);
    for (const account of [member, unenrolled, security])
      if (account !== member) expect(await iamOf(account).load()).toEqual(before.get(account.id));
  }, 300_000);
});
