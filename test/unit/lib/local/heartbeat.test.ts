import { describe, expect, it } from 'vitest';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { HEARTBEAT_ROLE_NAME, heartbeatCalls } from '../../../../lib/local/generator/heartbeat.ts';
import { Random } from '../../../../lib/local/generator/random.ts';
import { toRecord } from '../../../../lib/local/generator/world.ts';

const account = { id: '111122223333' };
const at = (time: string) => new Date(`2026-01-15T${time}Z`);

describe('the local heartbeat', () => {
  it('is one GetCallerIdentity by revoker’s role in each region at every five-minute boundary', () => {
    const calls = heartbeatCalls(account, ['us-east-1', 'eu-west-1'], at('12:01:30'), at('12:15:00'));

    expect(calls.map((call) => [call.time.toISOString().slice(11, 19), call.region])).toEqual([
      ['12:05:00', 'us-east-1'],
      ['12:05:00', 'eu-west-1'],
      ['12:10:00', 'us-east-1'],
      ['12:10:00', 'eu-west-1'],
    ]);
    for (const call of calls) {
      expect(call).toMatchObject({
        account: account.id,
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        readOnly: true,
      });
      expect(call.identity).toMatchObject({
        type: 'AssumedRole',
        arn: `arn:aws:sts::${account.id}:assumed-role/${HEARTBEAT_ROLE_NAME}/${HEARTBEAT_ROLE_NAME}`,
      });
    }
    // revoker's own role, which the shipped configuration protects (arn:aws:iam::*:role/revoker-*).
    expect(resolvePrincipal(calls[0]!.identity as never)).toMatchObject({
      ok: true,
      principal: { kind: 'assumed-role', roleArn: `arn:aws:iam::${account.id}:role/${HEARTBEAT_ROLE_NAME}` },
    });
    // CloudTrail's record names the regional endpoint called.
    expect(toRecord(calls[1]!, new Random('x'))).toMatchObject({
      awsRegion: 'eu-west-1',
      tlsDetails: { clientProvidedHostHeader: 'sts.eu-west-1.amazonaws.com' },
    });
  });

  it('gives each boundary to exactly one of two consecutive windows, and the same calls every time', () => {
    const regions = ['us-east-1'];
    const whole = heartbeatCalls(account, regions, at('12:00:00'), at('12:20:00'));
    const split = [
      ...heartbeatCalls(account, regions, at('12:00:00'), at('12:10:00')),
      ...heartbeatCalls(account, regions, at('12:10:00'), at('12:20:00')),
    ];

    expect(split).toEqual(whole);
    expect(whole.map((call) => call.time.toISOString().slice(11, 16))).toEqual([
      '12:00',
      '12:05',
      '12:10',
      '12:15',
    ]);
  });
});
