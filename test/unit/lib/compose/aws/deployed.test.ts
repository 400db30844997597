// The deployed handlers, assembled from their environment: a missing setting fails the first
// invocation with its name; with the settings, detect opens the case in its table (dynalite) and
// starts it in Step Functions.
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as closeHandler } from '../../../../../functions/close/handler.ts';
import { handler as detectHandler } from '../../../../../functions/detect/handler.ts';
import { handler as heartbeatHandler } from '../../../../../functions/heartbeat/handler.ts';
import { handler as revokeHandler } from '../../../../../functions/revoke/handler.ts';
import { DynamoDbCaseStore } from '../../../../../lib/aws/dynamodb-case-store.ts';
import { deployedConfig, MissingSettingError, setting } from '../../../../../lib/compose/aws/deployed.ts';
import { grantGuardIn } from '../../../../../lib/compose/aws/operator.ts';
import { executionNameOf } from '../../../../../lib/domain/case.ts';
import { ConfigError } from '../../../../../lib/domain/config.ts';
import { envelopeFor } from '../../../../../lib/domain/envelope.ts';
import type { DetectOutcome } from '../../../../../lib/usecases/detect.ts';
import { deployedConfigFile } from '../../../../fixtures/config.ts';
import { type Dynalite, startDynalite } from '../../../../fixtures/dynalite.ts';
import { stolenInstanceCredentialsGrant } from '../../../../fixtures/records.ts';

const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const sts = mockClient(STSClient);
const saved = { ...process.env };
const context = {} as Context;
let dynalite: Dynalite;

let configFile: string;

beforeAll(async () => {
  dynalite = await startDynalite();
  configFile = await deployedConfigFile();
});
afterAll(() => dynalite.stop());

beforeEach(() => {
  sfn.reset();
  sqs.reset();
  sts.reset();
  process.env.REVOKER_ACCOUNT_ID = '111122223333';
  process.env.REVOKER_PARTITION = 'aws';
  process.env.REVOKER_CONFIG_FILE = configFile;
});
afterEach(() => {
  process.env = { ...saved };
});

describe('the deployed handlers', () => {
  it('name a missing setting', () => {
    delete process.env.CASES_TABLE;

    expect(() => setting('CASES_TABLE')).toThrow(
      new MissingSettingError('the environment variable CASES_TABLE is not set'),
    );
  });

  it('fail their first invocation with the setting they lack, and do nothing', async () => {
    delete process.env.CASES_TABLE;

    await expect(revokeHandler({}, context)).rejects.toThrow(
      'the environment variable CASES_TABLE is not set',
    );
  });

  it('detect: starts the case in Step Functions under the case’s name, and sets malformed events aside in SQS', async () => {
    // The case table is real (dynalite), found as the deployed function finds DynamoDB: by environment.
    const { raw, documents } = dynalite.connect();
    const endpoint = await raw.config.endpoint!();
    process.env.CASES_TABLE = await dynalite.createTable(raw);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'dynalite';
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:revoker';
    process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/revoker-dlq';
    process.env.REVOKER_MODE = 'dry-run';
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date() });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    const [started] = (await detectHandler(
      envelopeFor(stolenInstanceCredentialsGrant(), 'e-1'),
      context,
    )) as DetectOutcome[];
    await detectHandler('not an event', context);

    expect(started).toMatchObject({ status: 'opened', caseId: expect.any(String) });
    const caseId = (started as { caseId: string }).caseId;
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      stateMachineArn: process.env.STATE_MACHINE_ARN,
      name: executionNameOf(caseId),
    });
    expect(JSON.parse(input.input!)).toMatchObject({ caseId, settings: { onApprovalTimeout: 'revoke' } });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const stored = await new DynamoDbCaseStore(documents, process.env.CASES_TABLE).get(caseId);
    expect(stored?.header.execution).toMatchObject({ name: executionNameOf(caseId), started: true });
    raw.destroy();
  });

  it('lay the stack’s parameters over the bundled configuration, adding protections, never removing one', async () => {
    process.env.REVOKER_MODE = 'enforce';
    process.env.REVOKER_APPROVERS = 'sam@example.com, arn:aws:iam::111122223333:user/kim';
    process.env.REVOKER_DECIDE_MINUTES = '30';
    process.env.REVOKER_PROTECTED_PRINCIPALS = 'arn:aws:iam::*:role/payments-*';

    const config = await deployedConfig();

    expect(config.mode).toBe('enforce');
    expect(config.escalation).toMatchObject({
      approvers: ['sam@example.com', 'arn:aws:iam::111122223333:user/kim'],
      decideMinutes: 30,
    });
    expect(config.guardRails.protectedPrincipals).toEqual(
      expect.arrayContaining(['arn:aws:iam::*:role/revoker-*', 'arn:aws:iam::*:role/payments-*']),
    );
  });

  it('take the mode from the stack alone: dry-run when it sets none, whatever the bundled file says', async () => {
    delete process.env.REVOKER_MODE;
    process.env.REVOKER_APPROVERS = 'sam@example.com';

    const config = await deployedConfig();

    expect(config.mode).toBe('dry-run');
  });

  it('take the trail’s regions from the stack, for verification and the heartbeat', async () => {
    process.env.REVOKER_TRAIL_REGIONS = 'us-east-1, ap-southeast-2';

    expect((await deployedConfig()).verify.regions).toEqual(['us-east-1', 'ap-southeast-2']);

    process.env.REVOKER_TRAIL_REGIONS = 'us-east-1,everywhere';
    await expect(deployedConfig()).rejects.toThrow(/verify\.regions\.1: found "everywhere"/);
  });

  it('heartbeat: calls STS GetCallerIdentity in each region of the trail, and reads the open grants from the case table', async () => {
    const { raw } = dynalite.connect();
    const endpoint = await raw.config.endpoint!();
    process.env.CASES_TABLE = await dynalite.createTable(raw);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'dynalite';
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:revoker';
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });

    await expect(heartbeatHandler({}, context)).resolves.toEqual({
      pinged: ['us-east-1', 'eu-west-1'],
      grantsEnded: [],
    });

    const regions = await Promise.all(
      sts.commandCalls(GetCallerIdentityCommand).map((call) => (call.thisValue as STSClient).config.region()),
    );
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    raw.destroy();
  });

  it('grants: every grant is told the stack’s guard, in the stack’s own account only', () => {
    const guard = grantGuardIn(
      'arn:aws:iam::111122223333:policy/revoker/revoker-grant-guard',
      '111122223333',
    );

    expect(guard('111122223333')).toBe('arn:aws:iam::111122223333:policy/revoker/revoker-grant-guard');
    expect(guard('444455556666')).toBeNull();
  });

  it('refuse a parameter that does not fit, naming it', async () => {
    process.env.REVOKER_MODE = 'sometimes';
    process.env.REVOKER_DECIDE_MINUTES = '5';

    const loading = deployedConfig();

    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loading).rejects.toThrow(/mode: found "sometimes"/);
    await expect(loading).rejects.toThrow(/acknowledgeMinutes/);
  });
});

// Last: the adapters it builds on the way (the case table's) are kept for the module's life.
describe('the deployed close', () => {
  it('fails before recording anything when the audit bucket is not named', async () => {
    process.env.CASES_TABLE = 'revoker-cases';
    process.env.NOTIFY_TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:revoker';
    delete process.env.AUDIT_BUCKET;

    await expect(closeHandler({}, context)).rejects.toThrow(
      new MissingSettingError('the environment variable AUDIT_BUCKET is not set'),
    );
  });
});
