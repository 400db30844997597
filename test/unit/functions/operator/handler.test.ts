import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createOperatorHandler } from '../../../../functions/operator/handler.ts';
import { FileAuditLog } from '../../../../lib/local/audit-log.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { LocalTaskCallbacks } from '../../../../lib/local/task-callbacks.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

async function operator() {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-operator-'));
  const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
  const audit = new FileAuditLog(join(directory, 'audit.jsonl'));
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
  return { call, audit, clock };
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
