import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createOperatorHandler } from '../../../../lib/handlers/operator.ts';
import { FileAuditLog } from '../../../../lib/local/audit-log.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { LocalTaskCallbacks } from '../../../../lib/local/task-callbacks.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { RecordingWorkflow } from '../../../fixtures/workflow.ts';

async function operator() {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-operator-'));
  const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
  const audit = new FileAuditLog(join(directory, 'audit.jsonl'));
  const workflow = new RecordingWorkflow();
  const handler = createOperatorHandler({
    config: await shippedConfig(),
    homeAccountId: '146450651832',
    grantGuard: localGrantGuardArn,
    cases: new FileCaseStore(join(directory, 'cases')),
    audit,
    clock,
    iamFor: () => new LocalIamAccount(join(directory, 'iam.json')),
    scheduler: new FileScheduler(join(directory, 'schedules')),
    callbacks: new LocalTaskCallbacks(join(directory, 'callbacks'), clock),
    engine: { run: async () => ({ columns: [], rows: [], bytesScanned: null, engineMillis: 0 }) },
    runbooks: loadRunbooks(),
    workflow,
  });
  const call = async (method: string, path: string, userArn: string | null, body = '') => {
    const result = await handler(
      {
        rawPath: path,
        rawQueryString: '',
        body,
        isBase64Encoded: false,
        requestContext: {
          http: { method },
          ...(userArn ? { authorizer: { iam: { userArn } } } : {}),
        },
      } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer,
      {} as Context,
    );
    return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as unknown };
  };
  return { call, audit, clock, workflow };
}

describe('the operator handler', () => {
  it('answers nothing without the identity AWS verified', async () => {
    const { call, audit, clock } = await operator();

    expect(await call('GET', '/audit', null)).toEqual({
      status: 401,
      body: { error: 'the request carries no verified identity (sign it with SigV4)' },
    });
    expect((await call('GET', '/audit', 'not-an-arn')).status).toBe(401);
    expect(await audit.list(new Date(0), clock.now())).toEqual([]);
  });

  it('routes, and says what went wrong with the status AWS would use', async () => {
    const { call } = await operator();
    const oncall = 'arn:aws:iam::146450651832:user/oncall';
    const mallory = 'arn:aws:sts::146450651832:assumed-role/Developer/mallory';

    expect((await call('GET', '/nowhere', oncall)).status).toBe(404);
    expect((await call('POST', '/grants', oncall, '{not json')).status).toBe(400);
    expect(await call('GET', '/audit', mallory)).toEqual({
      status: 403,
      body: { error: `${mallory} is not in a group of access.auditors` },
    });
    expect((await call('POST', '/grants/req-000000000000000000000000/approve', oncall)).status).toBe(404);
    expect((await call('POST', '/cases/case-404/answers', oncall, '{"answer":"approve"}')).status).toBe(404);
    expect((await call('GET', '/audit', oncall)).status).toBe(200);
  });

  it('answers identities of its own account only, and audits the refusal', async () => {
    const { call, audit, clock } = await operator();
    const elsewhere = 'arn:aws:iam::999999999999:user/oncall';

    expect(await call('GET', '/audit', elsewhere)).toEqual({
      status: 403,
      body: {
        error: `${elsewhere} is an identity of account 999999999999: the operator API answers identities of account 146450651832 only`,
      },
    });
    expect((await audit.list(new Date(0), clock.now())).map((record) => record.action)).toEqual([
      'caller.admit',
    ]);
  });
});

describe('POST /offboard', () => {
  const account = '146450651832';
  const oncall = `arn:aws:iam::${account}:user/oncall`;
  const hr = `arn:aws:sts::${account}:assumed-role/hr-offboarding/workday`;
  const body = (fields: Record<string, unknown>) =>
    JSON.stringify({ person: 'alice', accountId: account, reason: 'left the company', ...fields });

  it('opens the offboarding as the verified caller, whatever the body claims', async () => {
    const { call, workflow } = await operator();

    const claimed = await call('POST', '/offboard', hr, body({ requestedBy: 'someone-else' }));
    const opened = await call('POST', '/offboard', hr, body({}));

    expect(claimed).toEqual({
      status: 403,
      body: { error: 'the request is not valid: field (record): Unrecognized key: "requestedBy"' },
    });
    expect(opened).toEqual({
      status: 201,
      body: {
        status: 'opened',
        caseId: expect.stringMatching(/^[0-9a-f]{32}$/),
        person: 'alice',
        accountId: account,
        requestedBy: hr,
        confirmedBy: null,
        message: expect.stringMatching(/^case [0-9a-f]{32} opened$/),
      },
    });
    expect([...workflow.started.values()]).toEqual([
      expect.objectContaining({
        offboarding: {
          person: 'alice',
          accountId: account,
          region: 'us-east-1',
          requestedBy: hr,
          reason: 'left the company',
        },
        trigger: expect.objectContaining({
          target: { kind: 'person', person: 'alice', accountId: account, requestedBy: hr },
        }),
      }),
    ]);
  });

  it('refuses, with the reason, an identity outside access.offboarders and anyone offboarding themselves', async () => {
    const { call, audit, clock, workflow } = await operator();
    const carol = `arn:aws:iam::${account}:user/carol`;

    const outsider = await call('POST', '/offboard', carol, body({}));
    const themselves = await call('POST', '/offboard', oncall, body({ person: 'OnCall' }));

    expect(outsider).toEqual({
      status: 403,
      body: { error: `${carol} is not in a group of access.offboarders` },
    });
    expect(themselves).toEqual({
      status: 403,
      body: { error: `${oncall} is OnCall: nobody offboards themselves; another offboarder must` },
    });
    expect(workflow.started.size).toBe(0);
    expect(
      (await audit.list(new Date(0), clock.now())).map((record) => [
        record.identity,
        record.action,
        record.allowed,
      ]),
    ).toEqual([
      [carol, 'offboard.request', false],
      [oncall, 'offboard.request', false],
    ]);
  });
});
