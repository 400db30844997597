import { describe, expect, it } from 'vitest';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { replay } from '../../../../lib/usecases/replay.ts';
import { shared } from '../../../fixtures/paths.ts';

async function* parsed(paths: string[]) {
  for await (const entry of readRecordFiles(paths)) {
    if (entry.kind === 'parsed' && entry.principal.ok)
      yield { record: entry.record, principal: entry.principal.principal, file: entry.file };
  }
}

describe('replay', () => {
  it('opens one case per credential on real records, naming the rule and the calls that join it', async () => {
    const result = await replay(parsed([shared('otrf'), shared('aws-docs'), shared('cloud-custodian')]));

    expect(result.cases.map((found) => [found.ruleId, found.principal, found.calls])).toEqual([
      [
        'instance-credentials-bucket-listing',
        'arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0',
        2,
      ],
      ['console-login-without-mfa', 'arn:aws:iam::111122223333:user/anaya', 1],
      ['root-user-activity', 'arn:aws:iam::111122223333:root', 4],
      ['root-user-activity', 'arn:aws:iam::111122223333:root', 1],
      ['console-login-without-mfa', 'arn:aws:iam::123456789012:user/Mary_Major', 1],
      ['root-user-activity', 'arn:aws:iam::619193117841:root', 2],
    ]);
    expect(result.refused).toEqual([]);
  });

  it('names why a matching call cannot open a case, and goes on with the rest', async () => {
    const result = await replay(
      parsed([shared('stratus-red-team', 'aws.defense-evasion.cloudtrail-stop.json')]),
    );

    expect(result.cases).toEqual([]);
    expect(result.refused).toEqual([
      {
        file: shared('stratus-red-team', 'aws.defense-evasion.cloudtrail-stop.json'),
        eventName: 'StopLogging',
        // Stratus anonymises regions (eu-west-2r): no case is opened on a region that cannot exist.
        reason:
          'rule cloudtrail-stopped-or-deleted matched, but the record cannot open a case: field region: a region such as us-east-1',
      },
    ]);
  });
});
