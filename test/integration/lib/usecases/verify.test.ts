// Verify on DuckDB against log deliveries made by hand, so every watermark is known: the
// revoked role was active in two regions, and one of them delivers late. A third region of the
// trail, where the role was never seen, must be waited for too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toInstant } from '../../../../lib/domain/time.ts';
import { credentialIdOf, type Trigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { heartbeatCalls } from '../../../../lib/local/generator/heartbeat.ts';
import { LogWriter } from '../../../../lib/local/generator/log-writer.ts';
import { Random } from '../../../../lib/local/generator/random.ts';
import { type Call, sessionIdentity, toRecord } from '../../../../lib/local/generator/world.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { type VerifyDependencies, verify } from '../../../../lib/usecases/verify.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ACCOUNT = '111122223333';
const ROLE = { name: 'app-server', path: '/service/', principalId: 'AROAAPPSERVERROLE001' };
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service/app-server`;
const CUTOFF = new Date('2026-01-15T12:00:00Z');
const minutes = (offset: number) => new Date(CUTOFF.getTime() + offset * 60_000);

const stolen = sessionIdentity({
  account: ACCOUNT,
  role: ROLE,
  sessionName: 'i-0123456789abcdef0',
  issuedAt: toInstant(minutes(-120)),
  accessKeyId: 'ASIASTOLENSESSION001',
  ec2: true,
});
const bystander = {
  type: 'IAMUser',
  principalId: 'AIDABYSTANDER0000001',
  arn: `arn:aws:iam::${ACCOUNT}:user/bob`,
  accountId: ACCOUNT,
  userName: 'bob',
};

function call(time: Date, region: string, identity: Record<string, unknown>, errorCode?: string): Call {
  return {
    time,
    account: ACCOUNT,
    region,
    identity,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.15.30',
    readOnly: true,
    ...(errorCode ? { errorCode, errorMessage: 'not authorized' } : {}),
  };
}

const trigger: Trigger = {
  credentialId: credentialIdOf('ASIASTOLENSESSION001'),
  ruleId: 'instance-credentials-iam-escalation',
  eventId: null,
  eventTime: toInstant(minutes(-30)),
  eventSource: 'iam.amazonaws.com',
  eventName: 'AttachRolePolicy',
  region: 'us-east-1',
  sourceIp: '198.51.100.23',
  userAgent: 'aws-cli/2.15.30',
  target: {
    kind: 'assumed-role',
    accountId: ACCOUNT,
    roleArn: ROLE_ARN,
    roleName: ROLE.name,
    sessionName: 'i-0123456789abcdef0',
    accessKeyId: 'ASIASTOLENSESSION001',
    sessionIssuedAt: toInstant(minutes(-120)),
    sessionUserId: 'AROAAPPSERVERROLE001:i-0123456789abcdef0',
    sourceIdentity: null,
  },
};

let logs: string;
let engine: DuckDbQueryEngine;
let deps: VerifyDependencies;
let deliveries = 0;

/** One delivery of log files, as S3 receives them. */
function deliver(calls: Call[]): void {
  const writer = new LogWriter(logs, `delivery-${++deliveries}`);
  const random = new Random(`delivery-${deliveries}`);
  for (const made of calls.sort((a, b) => a.time.getTime() - b.time.getTime())) {
    writer.add(made.account, made.region, made.time, toRecord(made, random));
  }
  writer.flush();
}

const input = { caseId: 'case-verify', trigger, revocation: { cutoff: toInstant(CUTOFF) } };

beforeEach(async () => {
  logs = mkdtempSync(join(tmpdir(), 'revoker-verify-'));
  // The stolen session worked in both regions in the hour before the cutoff. us-east-1 has
  // delivered to 12:10; eu-west-1 only to 12:01.
  deliver([
    call(minutes(-40), 'us-east-1', stolen),
    call(minutes(-10), 'eu-west-1', stolen),
    call(minutes(10), 'us-east-1', bystander),
    call(minutes(1), 'eu-west-1', bystander),
  ]);
  engine = await DuckDbQueryEngine.open(logs);
  const directory = mkdtempSync(join(tmpdir(), 'revoker-verify-cases-'));
  deps = {
    engine,
    runbooks: loadRunbooks(),
    config: await shippedConfig(), // margin: 5 minutes
    clock: new SimulatedClock(minutes(12)),
    cases: new FileCaseStore(directory),
  };
  // Verification runs in the case's execution, after its revocation: the case is open.
  await openTestCase(deps.cases, trigger, { caseId: input.caseId });
});
afterEach(() => engine.close());

describe('verify, on logs whose watermarks are known', () => {
  it('is not contained while a region the credentials used stops short of cutoff + margin', async () => {
    const result = await verify(input, deps);

    expect(result).toMatchObject({
      status: 'not-yet',
      retry: true,
      watermarks: [
        { region: 'eu-west-1', watermark: '2026-01-15T12:01:00Z' },
        { region: 'us-east-1', watermark: '2026-01-15T12:10:00Z' },
      ],
    });
    expect(result.explanation).toContain('eu-west-1 to 2026-01-15T12:01:00Z');
  });

  it('is contained once every such region reaches past cutoff + margin with no call', async () => {
    deliver([call(minutes(7), 'eu-west-1', bystander)]);

    expect(await verify(input, deps)).toMatchObject({ status: 'contained', succeeded: 0, denied: 0 });
  });

  it('counts the attacker still trying as denied, and a successful call as still active', async () => {
    deliver([
      call(minutes(3), 'eu-west-1', stolen, 'Client.UnauthorizedOperation'),
      call(minutes(7), 'eu-west-1', bystander),
    ]);
    expect(await verify(input, deps)).toMatchObject({ status: 'attempts-denied', denied: 1 });

    deliver([call(minutes(4), 'eu-west-1', stolen)]);
    expect(await verify(input, deps)).toMatchObject({ status: 'still-active', succeeded: 1 });
  });

  it('stops retrying after the configured attempts and leaves it not-yet', async () => {
    const last = { ...input, verification: { attempt: deps.config.verify.maxAttempts - 1 } };

    expect(await verify(last, deps)).toMatchObject({ status: 'not-yet', retry: false });
  });
});

describe('verify, in every region of the trail', () => {
  // The trail also logs ap-southeast-2, where the stolen session was never seen: its last
  // delivered call is 30 minutes before the cutoff. The two regions the session used are complete.
  const QUIET = 'ap-southeast-2';

  beforeEach(() => {
    deps = {
      ...deps,
      config: {
        ...deps.config,
        verify: { ...deps.config.verify, regions: ['us-east-1', 'eu-west-1', QUIET] },
      },
    };
    deliver([call(minutes(-30), QUIET, bystander), call(minutes(7), 'eu-west-1', bystander)]);
  });

  it('is not contained while a region lags behind the cutoff, even where the credentials were never seen', async () => {
    const result = await verify(input, deps);

    expect(result).toMatchObject({
      status: 'not-yet',
      retry: true,
      succeeded: 0,
      denied: 0,
      watermarks: [
        { region: QUIET, watermark: '2026-01-15T11:30:00Z' },
        { region: 'eu-west-1', watermark: '2026-01-15T12:07:00Z' },
        { region: 'us-east-1', watermark: '2026-01-15T12:10:00Z' },
      ],
    });
    expect(result.explanation).toContain(`lag in ${QUIET} to 2026-01-15T11:30:00Z;`);
  });

  it('is contained once the heartbeat there has been delivered past cutoff + margin', async () => {
    // revoker's own GetCallerIdentity every five minutes: at the cutoff, not yet past the margin...
    deliver(heartbeatCalls({ id: ACCOUNT }, [QUIET], minutes(-1), minutes(1)));
    expect(await verify(input, deps)).toMatchObject({ status: 'not-yet' });

    // ... then at the cutoff plus the margin.
    deliver(heartbeatCalls({ id: ACCOUNT }, [QUIET], minutes(1), minutes(6)));
    const result = await verify(input, deps);

    expect(result).toMatchObject({ status: 'contained', succeeded: 0, denied: 0 });
    expect(result.watermarks).toContainEqual({ region: QUIET, watermark: '2026-01-15T12:05:00Z' });
  });
});
