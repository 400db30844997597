import 'aws-sdk-client-mock-vitest/extend';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { regionalStsClient, StsRegionHeartbeat } from '../../../../lib/aws/sts-heartbeat.ts';

const sts = mockClient(STSClient);
const HOME = '111122223333';
const MEMBER = '222233334444';

beforeEach(() => {
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({
    Account: '111122223333',
    Arn: 'arn:aws:sts::111122223333:assumed-role/revoker-heartbeat/revoker-heartbeat',
    UserId: 'AROAEXAMPLEHEARTBEAT:revoker-heartbeat',
  });
});

/** The client each GetCallerIdentity was sent with. */
const clientsCalled = () =>
  sts.commandCalls(GetCallerIdentityCommand).map((call) => call.thisValue as STSClient);

/** Where the client sends its requests, as its endpoint rules resolve it. */
async function endpointOf(client: STSClient): Promise<string> {
  const global = (client.config as { useGlobalEndpoint?: boolean | (() => Promise<boolean>) })
    .useGlobalEndpoint;
  const endpoint = client.config.endpointProvider({
    Region: await client.config.region(),
    UseGlobalEndpoint: typeof global === 'function' ? await global() : global,
    UseFIPS: false,
    UseDualStack: false,
  });
  return String(endpoint.url);
}

describe('StsRegionHeartbeat', () => {
  it('sends GetCallerIdentity to the regional STS endpoint of each region pinged', async () => {
    const heartbeat = new StsRegionHeartbeat();

    await heartbeat.ping('us-east-1', HOME);
    await heartbeat.ping('eu-west-1', HOME);

    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 2);
    expect(sts.commandCalls(GetCallerIdentityCommand).map((call) => call.args[0].input)).toEqual([{}, {}]);
    const clients = clientsCalled();
    expect(await Promise.all(clients.map((client) => client.config.region()))).toEqual([
      'us-east-1',
      'eu-west-1',
    ]);
    // Never the global endpoint: CloudTrail would log every call in us-east-1.
    expect(await Promise.all(clients.map(endpointOf))).toEqual([
      'https://sts.us-east-1.amazonaws.com/',
      'https://sts.eu-west-1.amazonaws.com/',
    ]);
  });

  it('creates one client per region, once, and reuses it', async () => {
    const made: string[] = [];
    const heartbeat = new StsRegionHeartbeat(undefined, (region) => {
      made.push(region);
      return regionalStsClient(region);
    });

    for (const region of ['us-east-1', 'eu-west-1', 'us-east-1', 'eu-west-1'])
      await heartbeat.ping(region, HOME);

    expect(made).toEqual(['us-east-1', 'eu-west-1']);
    const [east, west, eastAgain, westAgain] = clientsCalled();
    expect(eastAgain).toBe(east);
    expect(westAgain).toBe(west);
    expect(east).not.toBe(west);
  });

  it('in a member account, assumes its member role at the region’s endpoint: the call lands in that account’s logs', async () => {
    sts.on(AssumeRoleCommand).resolves({});
    const role = `arn:aws:iam::${MEMBER}:role/revoker-member`;
    const heartbeat = new StsRegionHeartbeat((accountId) => (accountId === MEMBER ? role : null));

    await heartbeat.ping('eu-west-1', MEMBER);
    await heartbeat.ping('eu-west-1', HOME);

    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: role,
      RoleSessionName: 'revoker-heartbeat',
      DurationSeconds: 900,
    });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    const [client] = sts.commandCalls(AssumeRoleCommand).map((call) => call.thisValue as STSClient);
    expect(await endpointOf(client!)).toBe('https://sts.eu-west-1.amazonaws.com/');
  });

  it('fails the ping when STS refuses', async () => {
    sts.on(GetCallerIdentityCommand).rejects(new Error('Could not connect to the endpoint URL'));

    await expect(new StsRegionHeartbeat().ping('ap-southeast-2', HOME)).rejects.toThrow(
      'Could not connect to the endpoint URL',
    );
  });
});
