import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { JIT_EXPIRY_DETAIL_TYPE, JIT_SOURCE } from '../../../../lib/domain/jit.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { FileIdentityDirectory } from '../../../../lib/local/identity-directory.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { closeCase, requireCase } from '../../../../lib/usecases/cases.ts';
import { type DetectOutcome, detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { escalationParts, pageOnCall, raiseByStopLogging } from '../../../fixtures/escalation.ts';
import { shared } from '../../../fixtures/paths.ts';
import { stolenInstanceCredentialsGrant, stratusRoleRecord } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const config = await shippedConfig();
/** Every test's set-aside events; the malformed-event test reads its own. */
const deadLetters = new RecordingDeadLetters();

/** A fresh case table, workflow and clock: what detect needs, with nothing taken in yet. */
function detectParts() {
  return {
    cases: new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-detect-'))),
    workflow: new RecordingWorkflow(),
    clock: new SimulatedClock(new Date('2026-01-15T12:00:00Z')),
    config,
    deadLetters,
  };
}

/** The case an outcome went to. */
function caseOf(outcomes: DetectOutcome[]): string {
  const [outcome] = outcomes;
  if (!outcome || !('caseId' in outcome) || !outcome.caseId)
    throw new Error(`no case in ${JSON.stringify(outcomes)}`);
  return outcome.caseId;
}

/** The same stolen credentials stopping the trail: a more severe rule than the IAM grant. */
const stopLogging = () =>
  stolenInstanceCredentialsGrant({
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    eventID: 'stop-logging',
    requestParameters: { name: 'management-events' },
  });

describe('detect', () => {
  it('opens one case per compromised credential: later calls by it join the first', async () => {
    const deps = detectParts();

    const first = await detect(envelopeFor(stolenInstanceCredentialsGrant(), 'e1'), deps);
    const second = await detect(
      envelopeFor(stolenInstanceCredentialsGrant({ eventName: 'CreateUser', eventID: 'create-user' }), 'e2'),
      deps,
    );

    expect(first).toEqual([
      expect.objectContaining({ status: 'opened', ruleId: 'instance-credentials-iam-escalation' }),
    ]);
    expect(second).toEqual([expect.objectContaining({ status: 'joined', caseId: caseOf(first) })]);
    const record = await requireCase(deps.cases, caseOf(first));
    expect(record.entries.map((entry) => entry.step)).toEqual(['opened', 'detection']);
    expect(entriesOf(record, 'detection')[0]!.detail).toMatchObject({
      eventKey: 'create-user',
      eventName: 'CreateUser',
      ranking: { ruleId: 'instance-credentials-iam-escalation', severity: 'high', response: 'auto-revoke' },
    });
    expect(record.header).toMatchObject({ revision: 0, previousCaseId: null, outcome: null });
    expect([...deps.workflow.started.keys()]).toEqual([record.header.execution.name]);
    expect([...deps.workflow.started.values()]).toEqual([
      expect.objectContaining({
        caseId: caseOf(first),
        settings: {
          logDeliveryWaitSeconds: config.verify.waitSeconds,
          maxVerifyAttempts: config.verify.maxAttempts,
          acknowledgeTimeoutSeconds: config.escalation.acknowledgeMinutes * 60,
          approvalTimeoutSeconds: config.escalation.decideMinutes * 60,
          // The rule that names the case is high severity; the shipped file says revoke.
          onApprovalTimeout: 'revoke',
        },
      }),
    ]);
  });

  it('raises the case when a later call by the credential matches a more severe rule', async () => {
    const deps = detectParts();
    const first = await detect(envelopeFor(stolenInstanceCredentialsGrant(), 'e1'), deps);

    const raised = await detect(envelopeFor(stopLogging(), 'e2'), deps);

    expect(raised).toEqual([
      expect.objectContaining({
        status: 'raised',
        caseId: caseOf(first),
        ruleId: 'cloudtrail-stopped-or-deleted',
      }),
    ]);
    const record = await requireCase(deps.cases, caseOf(first));
    // Severity only goes up, and so does the response: the grant's auto-revoke stays.
    expect(record.header.standing).toMatchObject({
      ruleId: 'cloudtrail-stopped-or-deleted',
      severity: 'critical',
      response: 'auto-revoke',
      trigger: { eventName: 'StopLogging' },
    });
    expect(record.header.revision).toBe(1);
    expect(record.entries.map((entry) => entry.step)).toEqual(['opened', 'raise']);
    expect(entriesOf(record, 'raise')[0]!.detail).toMatchObject({
      eventKey: 'stop-logging',
      from: { ruleId: 'instance-credentials-iam-escalation', severity: 'high', response: 'auto-revoke' },
      // Where the case stands after the raise: the call's severity, and the stronger response kept.
      to: { ruleId: 'cloudtrail-stopped-or-deleted', severity: 'critical', response: 'auto-revoke' },
      revision: 1,
    });
    expect(deps.workflow.started.size).toBe(1);
  });

  it('fails an escalation waiting on the case it raises, so the execution reconsiders the case', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);

    const [raised] = await raiseByStopLogging(parts);

    expect(raised).toMatchObject({ status: 'raised', caseId: 'case-1' });
    await expect(answer).rejects.toMatchObject({
      name: 'revoker.Raised',
      message:
        'Case case-1 was raised while it waited for a decision; it is reconsidered with the new evidence.',
    });
  });

  it('takes in a duplicate delivery of the same event once, changing nothing', async () => {
    const deps = detectParts();
    const first = await detect(envelopeFor(stolenInstanceCredentialsGrant(), 'e1'), deps);
    const before = await requireCase(deps.cases, caseOf(first));

    const again = await detect(envelopeFor(stolenInstanceCredentialsGrant(), 'e1-redelivered'), deps);

    expect(again).toEqual([expect.objectContaining({ status: 'duplicate', caseId: caseOf(first) })]);
    expect(await requireCase(deps.cases, caseOf(first))).toEqual(before);
    expect(deps.workflow.started.size).toBe(1);
  });

  it('opens a new case, linked to the closed one, for a call after the case closed', async () => {
    const deps = detectParts();
    const first = await detect(envelopeFor(stolenInstanceCredentialsGrant(), 'e1'), deps);
    await closeCase(deps.cases, caseOf(first), 0, {
      outcome: 'benign',
      reason: 'the evidence clears the trigger',
      summary: 'Closed as benign.',
      at: '2026-01-15T12:05:00Z',
    });

    const later = await detect(
      envelopeFor(stolenInstanceCredentialsGrant({ eventName: 'CreateUser', eventID: 'create-user' }), 'e2'),
      deps,
    );

    expect(later).toEqual([expect.objectContaining({ status: 'opened' })]);
    expect(caseOf(later)).not.toBe(caseOf(first));
    const record = await requireCase(deps.cases, caseOf(later));
    expect(record.header).toMatchObject({ previousCaseId: caseOf(first), revision: 0, outcome: null });
    expect(entriesOf(record, 'opened')[0]!.detail.previousCaseId).toBe(caseOf(first));
    expect((await requireCase(deps.cases, caseOf(first))).header.outcome).toBe('benign');
    expect(deps.workflow.started.size).toBe(2);
  });

  it('starts nothing for calls no rule cares about', async () => {
    const deps = detectParts();
    // The stolen instance credentials' who-am-I, had it come through the account's own VPC endpoint.
    const recon = {
      ...stratusRoleRecord('credential-access.ec2-steal-instance-credentials'),
      sourceIPAddress: '10.0.12.7',
      vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
    };

    expect(await detect(envelopeFor(recon, 'e3'), deps)).toEqual([
      { status: 'no-match', reason: `${recon.eventName} matched no rule` },
    ]);
    expect(deps.workflow.started.size).toBe(0);
  });

  it('rejects a malformed envelope with its reason, and keeps it in the dead-letter queue', async () => {
    const setAside = new RecordingDeadLetters();
    const deps = { ...detectParts(), deadLetters: setAside };
    const mismatched = JSON.parse(readFileSync(shared('cloud-custodian', 'event-cloudsearch.json'), 'utf8'));

    const [outcome] = await detect(mismatched, deps);
    const [garbage] = await detect('not an event', deps);

    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: expect.stringContaining('does not match detail eventSource'),
    });
    expect(garbage).toMatchObject({ status: 'rejected' });
    expect(setAside.letters).toEqual([
      { event: mismatched, reason: (outcome as { reason: string }).reason },
      { event: 'not an event', reason: (garbage as { reason: string }).reason },
    ]);
    expect(deps.workflow.started.size).toBe(0);
  });

  it('rejects a matching call that cannot open a case, naming why', async () => {
    const deps = detectParts();
    const anonymised = stolenInstanceCredentialsGrant({ awsRegion: 'us-north-2r' });

    const outcomes = await detect(envelopeFor(anonymised, 'e4'), deps);

    expect(outcomes).toEqual([{ status: 'rejected', reason: expect.stringContaining('field region') }]);
    expect(deps.workflow.started.size).toBe(0);
  });

  it('sets aside the end of a grant that no case records, and starts nothing', async () => {
    const deps = detectParts();
    const expiry = {
      version: '0',
      id: 'schedule-1',
      source: JIT_SOURCE,
      'detail-type': JIT_EXPIRY_DETAIL_TYPE,
      account: '111122223333',
      time: '2026-01-15T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { grantId: 'jit-0123456789abcdef01234567' },
    };

    const outcomes = await detect(expiry, deps);

    expect(outcomes).toEqual([
      {
        status: 'rejected',
        reason: 'grant expiry event: no grant jit-0123456789abcdef01234567 is recorded',
      },
    ]);
    expect(deps.workflow.started.size).toBe(0);
    expect(await deps.cases.list()).toEqual([]);
  });

  describe('our own offboarding event', () => {
    const request = (detail: Record<string, unknown>, id = 'hr-1') => ({
      version: '0',
      id,
      source: 'revoker.offboarding',
      'detail-type': 'Person Offboarded',
      account: '111122223333',
      time: '2026-01-15T09:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail,
    });
    const alice = { person: 'alice', accountId: '111122223333', requestedBy: 'workday' };

    it('offboards no one on our own bus event: it is set aside with what it claims and how to ask', async () => {
      const setAside = new RecordingDeadLetters();
      const deps = { ...detectParts(), deadLetters: setAside };
      const event = request({ ...alice, reason: 'left the company' });

      const outcome = await detect(event, deps);

      const reason =
        'a Person Offboarded event offboards no one: anyone who may put events on the bus can send one. ' +
        'This one claims, unverified, that "workday" asks to offboard alice from 111122223333 because "left the company". ' +
        'If that is so, ask through the operator API as an identity in access.offboarders: POST /offboard, ' +
        'or revoker offboard --user alice --account 111122223333 --reason TEXT --deployed URL';
      expect(outcome).toEqual([{ status: 'rejected', reason }]);
      expect(setAside.letters).toEqual([{ event, reason }]);
      expect(deps.workflow.started.size).toBe(0);
      expect(await deps.cases.list()).toEqual([]);
    });

    it('rejects a request naming no valid person, and starts nothing', async () => {
      const deps = detectParts();

      const outcome = await detect(request({ ...alice, person: "alice'; DROP TABLE" }), deps);

      expect(outcome).toEqual([
        {
          status: 'rejected',
          reason: expect.stringMatching(/^offboarding event: field detail\.person: a user name/),
        },
      ]);
      expect(deps.workflow.started.size).toBe(0);
    });
  });

  describe('Identity Center removing a user', () => {
    const USER_ID = '90676d7e5c-1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d';
    const removal = (overrides: Record<string, unknown> = {}) =>
      envelopeFor(
        stolenInstanceCredentialsGrant({
          eventSource: 'identitystore.amazonaws.com',
          eventName: 'DeleteUser',
          awsRegion: 'eu-west-1',
          requestParameters: { identityStoreId: 'd-9067abcdef', userId: USER_ID },
          responseElements: null,
          ...overrides,
        }),
        'ic-1',
      );
    const directoryWith = (users: Record<string, { userName: string; accountIds: string[] }>) => {
      const file = join(mkdtempSync(join(tmpdir(), 'revoker-directory-')), 'identity-store.json');
      writeFileSync(file, JSON.stringify({ identityStoreId: 'd-9067abcdef', users }));
      return new FileIdentityDirectory(file);
    };

    it('offboards the user from every account they were assigned to, by name', async () => {
      const deps = detectParts();
      const directory = directoryWith({
        [USER_ID]: { userName: 'dana@example.com', accountIds: ['111122223333', '444455556666'] },
      });

      const outcomes = await detect(removal(), { ...deps, directory });

      expect(outcomes.map((outcome) => outcome.status)).toEqual(['opened', 'opened']);
      // AWS's word, not a customer's event: it revokes without asking.
      expect(await requireCase(deps.cases, caseOf(outcomes))).toMatchObject({
        header: { origin: 'offboarding', standing: { severity: 'high', response: 'auto-revoke' } },
      });
      expect([...deps.workflow.started.values()]).toEqual([
        expect.objectContaining({
          offboarding: expect.objectContaining({
            person: 'dana@example.com',
            accountId: '111122223333',
            region: 'eu-west-1',
          }),
        }),
        expect.objectContaining({
          offboarding: expect.objectContaining({ person: 'dana@example.com', accountId: '444455556666' }),
        }),
      ]);
    });

    it('sends a user deleted before the lookup to a human, by user ID, with the reason', async () => {
      const deps = detectParts();

      const [outcome] = await detect(removal(), { ...deps, directory: directoryWith({}) });

      expect(outcome).toMatchObject({ status: 'opened', ruleId: 'person-offboarded' });
      expect([...deps.workflow.started.values()][0]).toMatchObject({
        offboarding: {
          person: USER_ID,
          reason: expect.stringContaining('was removed before revoker could look up their name'),
        },
      });
    });

    it('sets the event aside when no directory is configured, or it names no user', async () => {
      const setAside = new RecordingDeadLetters();
      const deps = { ...detectParts(), deadLetters: setAside };

      const [unconfigured] = await detect(removal(), deps);
      const [nameless] = await detect(removal({ requestParameters: { identityStoreId: 'd-9067abcdef' } }), {
        ...deps,
        directory: directoryWith({}),
      });

      expect(unconfigured).toMatchObject({
        status: 'rejected',
        reason: expect.stringContaining('no identity directory is configured'),
      });
      expect(nameless).toMatchObject({
        status: 'rejected',
        reason: 'DeleteUser names no Identity Center user ID in requestParameters.userId',
      });
      expect(setAside.letters).toHaveLength(2);
      expect(deps.workflow.started.size).toBe(0);
    });

    it('ignores a removal that failed', async () => {
      const deps = detectParts();

      const [outcome] = await detect(removal({ errorCode: 'AccessDeniedException', errorMessage: 'no' }), {
        ...deps,
        directory: directoryWith({}),
      });

      expect(outcome?.status).toBe('no-match');
    });
  });
});

describe('detect, on what parsing used to lose', () => {
  const guideLine = (line: number): unknown =>
    (
      JSON.parse(
        readFileSync(shared('aws-docs', 'cloudtrail_user_guide_2023_json_examples.jsonl'), 'utf8').split(
          '\n',
        )[line - 1]!,
      ) as { json: unknown }
    ).json;

  it('takes a CloudTrail Insights event as no call: nothing matched, nothing set aside', async () => {
    const letters = new RecordingDeadLetters();
    const insight = guideLine(14) as { eventTime: string; recipientAccountId: string };
    const event = {
      version: '0',
      id: 'insight-1',
      'detail-type': 'AWS Insight via CloudTrail',
      source: 'aws.cloudtrail',
      account: insight.recipientAccountId,
      time: insight.eventTime,
      region: 'us-east-1',
      resources: [],
      detail: insight,
    };

    const outcomes = await detect(event, { ...detectParts(), deadLetters: letters });

    expect(outcomes).toEqual([{ status: 'no-match', reason: expect.stringContaining('Insights') }]);
    expect(letters.letters).toEqual([]);
  });

  it('resolves an IAM user CloudTrail names without an arn instead of setting the call aside', async () => {
    const letters = new RecordingDeadLetters();
    // A console sign-in without MFA by an IAM user: userName and accountId, no arn.
    const record = guideLine(3) as Record<string, unknown>;

    const outcomes = await detect(envelopeFor(record as never, 'console-1'), {
      ...detectParts(),
      deadLetters: letters,
    });

    expect(letters.letters).toEqual([]);
    for (const outcome of outcomes) expect(outcome.status).not.toBe('rejected');
  });
});
