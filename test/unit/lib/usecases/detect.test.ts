import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { FileIdentityDirectory } from '../../../../lib/local/identity-directory.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { shared } from '../../../fixtures/paths.ts';
import { stolenInstanceCredentialsGrant, stratusRoleRecord } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const config = await shippedConfig();
/** Every test's set-aside events; the malformed-event test reads its own. */
const deadLetters = new RecordingDeadLetters();

describe('detect', () => {
  it('opens one case per compromised credential: later calls by it join the first', async () => {
    const workflow = new RecordingWorkflow();

    const first = await detect(envelopeFor(stolenInstanceCredentialsGrant(), 'e1'), {
      workflow,
      config,
      deadLetters,
    });
    const second = await detect(
      envelopeFor(stolenInstanceCredentialsGrant({ eventName: 'CreateUser' }), 'e2'),
      { workflow, config, deadLetters },
    );

    expect(first).toEqual([
      expect.objectContaining({ status: 'started', ruleId: 'instance-credentials-iam-escalation' }),
    ]);
    expect(second).toEqual([expect.objectContaining({ status: 'already-open' })]);
    expect([...workflow.started.values()]).toEqual([
      expect.objectContaining({
        caseId: expect.any(String),
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

  it('starts nothing for calls no rule cares about', async () => {
    const workflow = new RecordingWorkflow();
    const recon = stratusRoleRecord('credential-access.ec2-steal-instance-credentials');

    expect(await detect(envelopeFor(recon, 'e3'), { workflow, config, deadLetters })).toEqual([
      { status: 'no-match', reason: `${recon.eventName} matched no rule` },
    ]);
    expect(workflow.started.size).toBe(0);
  });

  it('rejects a malformed envelope with its reason, and keeps it in the dead-letter queue', async () => {
    const workflow = new RecordingWorkflow();
    const setAside = new RecordingDeadLetters();
    const mismatched = JSON.parse(readFileSync(shared('cloud-custodian', 'event-cloudsearch.json'), 'utf8'));

    const [outcome] = await detect(mismatched, { workflow, config, deadLetters: setAside });
    const [garbage] = await detect('not an event', { workflow, config, deadLetters: setAside });

    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: expect.stringContaining('does not match detail eventSource'),
    });
    expect(garbage).toMatchObject({ status: 'rejected' });
    expect(setAside.letters).toEqual([
      { event: mismatched, reason: (outcome as { reason: string }).reason },
      { event: 'not an event', reason: (garbage as { reason: string }).reason },
    ]);
    expect(workflow.started.size).toBe(0);
  });

  it('rejects a matching call that cannot open a case, naming why', async () => {
    const workflow = new RecordingWorkflow();
    const anonymised = stolenInstanceCredentialsGrant({ awsRegion: 'us-north-2r' });

    const outcomes = await detect(envelopeFor(anonymised, 'e4'), { workflow, config, deadLetters });

    expect(outcomes).toEqual([{ status: 'rejected', reason: expect.stringContaining('field region') }]);
    expect(workflow.started.size).toBe(0);
  });

  describe('offboarding requests', () => {
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

    it('starts one offboarding per person and account, skipping confirmation', async () => {
      const workflow = new RecordingWorkflow();

      const first = await detect(request(alice), { workflow, config, deadLetters });
      const again = await detect(request(alice, 'hr-2'), { workflow, config, deadLetters });

      expect(first).toEqual([
        expect.objectContaining({ status: 'started', ruleId: 'person-offboarded', alsoMatched: [] }),
      ]);
      expect(again).toEqual([expect.objectContaining({ status: 'already-open' })]);
      expect([...workflow.started.values()]).toEqual([
        expect.objectContaining({
          caseId: expect.stringMatching(/^offboard-[0-9a-f]{24}$/),
          offboarding: { ...alice, region: 'us-east-1' },
          trigger: expect.objectContaining({
            eventTime: '2026-01-15T09:00:00Z',
            target: { kind: 'person', ...alice },
          }),
          settings: expect.objectContaining({ onApprovalTimeout: 'revoke' }),
        }),
      ]);
    });

    it('rejects a request naming no valid person, and starts nothing', async () => {
      const workflow = new RecordingWorkflow();

      const outcome = await detect(request({ ...alice, person: "alice'; DROP TABLE" }), {
        workflow,
        config,
        deadLetters,
      });

      expect(outcome).toEqual([
        {
          status: 'rejected',
          reason: expect.stringMatching(/^offboarding event: field detail\.person: a user name/),
        },
      ]);
      expect(workflow.started.size).toBe(0);
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
      const workflow = new RecordingWorkflow();
      const directory = directoryWith({
        [USER_ID]: { userName: 'dana@example.com', accountIds: ['111122223333', '444455556666'] },
      });

      const outcomes = await detect(removal(), { workflow, config, deadLetters, directory });

      expect(outcomes.map((outcome) => outcome.status)).toEqual(['started', 'started']);
      expect([...workflow.started.values()]).toEqual([
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
      const workflow = new RecordingWorkflow();

      const [outcome] = await detect(removal(), {
        workflow,
        config,
        deadLetters,
        directory: directoryWith({}),
      });

      expect(outcome).toMatchObject({ status: 'started', ruleId: 'person-offboarded' });
      expect([...workflow.started.values()][0]).toMatchObject({
        offboarding: {
          person: USER_ID,
          reason: expect.stringContaining('was removed before revoker could look up their name'),
        },
      });
    });

    it('sets the event aside when no directory is configured, or it names no user', async () => {
      const workflow = new RecordingWorkflow();
      const setAside = new RecordingDeadLetters();

      const [unconfigured] = await detect(removal(), { workflow, config, deadLetters: setAside });
      const [nameless] = await detect(removal({ requestParameters: { identityStoreId: 'd-9067abcdef' } }), {
        workflow,
        config,
        deadLetters: setAside,
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
      expect(workflow.started.size).toBe(0);
    });

    it('ignores a removal that failed', async () => {
      const workflow = new RecordingWorkflow();

      const [outcome] = await detect(removal({ errorCode: 'AccessDeniedException', errorMessage: 'no' }), {
        workflow,
        config,
        deadLetters,
        directory: directoryWith({}),
      });

      expect(outcome?.status).toBe('no-match');
    });
  });
});
