// A refinement through the real state machine on the local pipeline (issue 15): asked for,
// approved by someone else, applied (snapshot first), watched for access-denied errors, and
// closed as refined, or rolled back when the watch finds a call the old policies allowed.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { entriesOf, executionNameOf } from '../../../../lib/domain/case.ts';
import type { CloudTrailRecord } from '../../../../lib/domain/cloudtrail.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { heartbeatCalls } from '../../../../lib/local/generator/heartbeat.ts';
import { LogWriter } from '../../../../lib/local/generator/log-writer.ts';
import { Random } from '../../../../lib/local/generator/random.ts';
import type { OverprivilegedWorkloadTruth } from '../../../../lib/local/generator/scenarios.ts';
import { toRecord } from '../../../../lib/local/generator/world.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { openLocalPipeline, SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { FileSigningKeys } from '../../../../lib/local/signing-keys.ts';
import type { LocalFunction } from '../../../../lib/local/state-machine.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { answerEscalation, EscalationAnswerError } from '../../../../lib/usecases/answer-escalation.ts';
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { refine } from '../../../../lib/usecases/refine.ts';
import { openRefinement } from '../../../../lib/usecases/refinement.ts';
import { undoRevocation } from '../../../../lib/usecases/undo.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const END = new Date('2026-01-15T12:00:00Z');
const REQUESTER = 'arn:aws:iam::541221472923:user/platform-lead';
const APPROVER = 'oncall@example.com';
const MANAGED = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';

/** Logs of the overprivileged workload, its role in a local IAM account, and a pipeline over both. */
async function refinementParts(
  duringWatch?: (logs: string, truth: OverprivilegedWorkloadTruth) => Promise<void>,
  attached: string[] = [MANAGED],
  change: (config: Config) => Config = (config) => config,
) {
  const root = mkdtempSync(join(tmpdir(), 'revoker-refinement-'));
  const logs = join(root, 'logs');
  const truth = generate({
    out: logs,
    days: 2,
    events: 2000,
    accounts: 1,
    seed: 'refinement',
    scenarios: ['overprivileged-workload'],
    end: END,
  }).scenarios[0] as OverprivilegedWorkloadTruth;
  const iam = new LocalIamAccount(join(root, `${truth.account}.json`));
  await iam.save({
    accountId: truth.account,
    roles: {
      [truth.roleName]: {
        arn: truth.roleArn,
        path: '/service-role/',
        inlinePolicies: { [truth.inlinePolicyName]: JSON.stringify(truth.currentPolicy) },
        attachedPolicies: attached,
      },
    },
  });
  const clock = new SimulatedClock(END);
  const config = change(await shippedConfig());
  let watched = 0;
  let delivered = END;
  let deliveries = 0;
  // Each watch runs ten minutes after the last: simulated time passes over the Wait state, and
  // revoker's heartbeat moves every trail region's logs on with it.
  const verify =
    (run: LocalFunction): LocalFunction =>
    async (event) => {
      clock.advance(600);
      const writer = new LogWriter(logs, `heartbeat-${++deliveries}`);
      const random = new Random(`heartbeat-${deliveries}`);
      for (const call of heartbeatCalls({ id: truth.account }, config.verify.regions, delivered, clock.now()))
        writer.add(call.account, call.region, call.time, toRecord(call, random));
      writer.flush();
      delivered = clock.now();
      if ((event as { refinementStep?: string }).refinementStep === 'watch' && watched++ === 0)
        await duringWatch?.(logs, truth);
      return run(event);
    };
  const pipeline = await openLocalPipeline({
    logs,
    iamAccountFile: iam.file,
    iam,
    casesDirectory: join(root, 'cases'),
    callbacksDirectory: join(root, 'callbacks'),
    notificationsFile: join(root, 'notifications.jsonl'),
    deadLettersFile: join(root, 'dead-letters.jsonl'),
    signingKeys: await FileSigningKeys.open(join(root, 'keys.json')),
    config,
    clock,
    around: { verify },
  });
  const before = await iam.load();
  const report = await refine(
    {
      account: truth.account,
      principal: truth.roleArn,
      start: new Date(END.getTime() - 3 * 86_400_000),
      end: END,
    },
    { engine: pipeline.engine, runbooks: loadRunbooks(), currentIam: before },
  );
  return { root, logs, truth, iam, clock, config, pipeline, before, report };
}

type Parts = Awaited<ReturnType<typeof refinementParts>>;

/** Ask for the refinement, wait for its page, approve it as the on-call, and let the execution end. */
async function askApproveAndRun(parts: Parts) {
  const { pipeline, clock, config } = parts;
  const { caseId } = await openRefinement(
    { report: parts.report, requestedBy: REQUESTER, watchMinutes: 60, region: parts.truth.region },
    { cases: pipeline.cases, workflow: pipeline.workflow, clock, config },
  );
  const execution = pipeline.workflow.executions.get(executionNameOf(caseId))!;
  for (
    let tries = 0;
    entriesOf(await requireCase(pipeline.cases, caseId), 'escalate').length === 0;
    tries++
  ) {
    if (tries > 200) {
      const output = await Promise.race([execution.output, Promise.resolve('still running')]);
      throw new Error(
        `the refinement never asked for approval: ${JSON.stringify(output).slice(0, 2000)} ${JSON.stringify((await requireCase(pipeline.cases, caseId)).entries.map((entry) => entry.summary))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await expect(
    answerEscalation(
      { caseId, answer: 'approve', approver: REQUESTER, reason: 'mine', via: 'cli' },
      { cases: pipeline.cases, callbacks: pipeline.callbacks, clock },
    ),
  ).rejects.toThrow(EscalationAnswerError);
  await answerEscalation(
    { caseId, answer: 'approve', approver: APPROVER, reason: 'proof reviewed', via: 'cli' },
    { cases: pipeline.cases, callbacks: pipeline.callbacks, clock },
  );
  await execution.output;
  return { caseId, record: await requireCase(pipeline.cases, caseId) };
}

describe('a refinement, through the state machine', () => {
  it('is applied once approved, watched, and closed as refined; undo gives the role back exactly', async () => {
    const parts = await refinementParts();
    const { caseId, record } = await askApproveAndRun(parts);

    expect(record.header.outcome).toBe('refined');
    const role = (await parts.iam.load()).roles[parts.truth.roleName]!;
    expect(role.inlinePolicies).toEqual({ 'revoker-refined': expect.stringContaining('"s3:PutObject"') });
    expect(JSON.parse(role.inlinePolicies['revoker-refined']!).Statement[0].Resource).toEqual([
      `arn:aws:s3:::${parts.truth.bucket}/data/*`,
    ]);
    expect(role.attachedPolicies).toEqual([]);
    // Watched every ten minutes until the hour has passed and the logs reach past it (the margin).
    const watches = entriesOf(record, 'refinement-watch').map((entry) => entry.detail.status);
    expect(watches.at(-1)).toBe('clean');
    expect(new Set(watches.slice(0, -1))).toEqual(new Set(['watching']));
    expect(watches.length).toBeGreaterThanOrEqual(7);

    await undoRevocation(caseId, { iam: parts.iam, cases: parts.pipeline.cases, clock: parts.clock });

    expect(await parts.iam.load()).toEqual(parts.before);
    await parts.pipeline.close();
  }, 120_000);

  it('rolls back and closes as rolled-back when the workload is refused a call its old policy allowed', async () => {
    const parts = await refinementParts(async (logs, truth) => {
      // The function now writes under archive/ too, which s3:* allowed and the refined policy does not.
      let written: CloudTrailRecord | undefined;
      for await (const entry of readRecordFiles([logs]))
        if (entry.kind === 'parsed' && entry.record.eventName === 'PutObject') {
          written = entry.record;
          break;
        }
      const at = new Date(parts.clock.now().getTime() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const refused = {
        ...written!,
        eventID: '11111111-2222-4333-8444-555555555555',
        eventTime: at,
        requestParameters: { bucketName: truth.bucket, Host: 'x', key: 'archive/2026/01/15/x.json' },
        errorCode: 'AccessDenied',
        errorMessage: 'Access Denied',
      };
      const folder = join(
        logs,
        'AWSLogs',
        truth.account,
        'CloudTrail',
        truth.region,
        ...at.slice(0, 10).split('-'),
      );
      mkdirSync(folder, { recursive: true });
      // And a table its old policy never allowed either: not the refinement's doing.
      const unrelated = {
        ...refused,
        eventID: '11111111-2222-4333-8444-666666666666',
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'PutItem',
        requestParameters: { tableName: 'report-index' },
        errorCode: 'AccessDeniedException',
      };
      writeFileSync(
        join(folder, `${truth.account}_CloudTrail_${truth.region}_refused.json.gz`),
        gzipSync(JSON.stringify({ Records: [refused, unrelated] })),
      );
      // No AWS managed policy (whose document is not read): the old policy is judged exactly.
    }, []);
    const { record } = await askApproveAndRun(parts);

    expect(record.header.outcome).toBe('rolled-back');
    expect(entriesOf(record, 'refinement-watch').at(-1)?.detail).toMatchObject({
      status: 'regressed',
      regressions: [
        expect.objectContaining({ action: 's3:PutObject', resource: expect.stringContaining('/archive/') }),
      ],
    });
    // Rolled back exactly, and everyone watching was told why.
    expect(await parts.iam.load()).toEqual(parts.before);
    expect(entriesOf(record, 'close').at(-1)?.detail).toMatchObject({ outcome: 'rolled-back' });
    const sent = readFileSync(join(parts.root, 'notifications.jsonl'), 'utf8');
    expect(sent).toContain('rolled-back');
    await parts.pipeline.close();
  }, 120_000);
});

describe('a refinement of a role its cases say was compromised', () => {
  it('is refused while a case about the role is open: the attacker’s calls are not the workload’s', async () => {
    const parts = await refinementParts();
    const { openTestCase } = await import('../../../fixtures/cases.ts');
    const { credentialIdOf } = await import('../../../../lib/domain/trigger.ts');
    await openTestCase(
      parts.pipeline.cases,
      {
        credentialId: credentialIdOf('a stolen session of the workload'),
        ruleId: 'instance-credentials-iam-escalation',
        eventId: null,
        eventTime: '2026-01-15T11:00:00Z',
        eventSource: 'iam.amazonaws.com',
        eventName: 'AttachRolePolicy',
        region: parts.truth.region,
        sourceIp: '203.0.113.9',
        userAgent: null,
        target: {
          kind: 'assumed-role',
          accountId: parts.truth.account,
          roleArn: parts.truth.roleArn,
          roleName: parts.truth.roleName,
          sessionName: 'i-0123456789abcdef0',
          accessKeyId: null,
          sessionIssuedAt: null,
          sessionUserId: null,
          sourceIdentity: null,
        },
      },
      { caseId: 'compromise-1' },
    );

    await expect(
      openRefinement(
        { report: parts.report, requestedBy: REQUESTER, watchMinutes: 60, region: parts.truth.region },
        {
          cases: parts.pipeline.cases,
          workflow: parts.pipeline.workflow,
          clock: parts.clock,
          config: parts.config,
        },
      ),
    ).rejects.toThrow('case compromise-1 is about');
    expect(await parts.iam.load()).toEqual(parts.before);
    await parts.pipeline.close();
  }, 120_000);
});

describe('a refinement in dry-run mode', () => {
  it('is approved, planned and recorded, and changes nothing', async () => {
    const parts = await refinementParts(undefined, [MANAGED], (config) => ({ ...config, mode: 'dry-run' }));

    const { record } = await askApproveAndRun(parts);

    expect(record.header.outcome).toBe('dry-run');
    expect(entriesOf(record, 'dry-run')).toHaveLength(1);
    expect(await parts.iam.load()).toEqual(parts.before);
    await parts.pipeline.close();
  }, 120_000);
});
