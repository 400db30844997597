import { describe, expect, it } from 'vitest';
import { iamActionFor, withIamActions } from '../../../../lib/runbooks/iam-actions.ts';

describe('iamActionFor', () => {
  it.each([
    ['iam.amazonaws.com', 'AttachRolePolicy', 'iam:AttachRolePolicy'],
    ['s3.amazonaws.com', 'ListBuckets', 's3:ListAllMyBuckets'],
    ['s3.amazonaws.com', 'HeadObject', 's3:GetObject'],
    ['lambda.amazonaws.com', 'ListFunctions20150331', 'lambda:ListFunctions'],
    ['lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', 'lambda:UpdateFunctionCode'],
    ['monitoring.amazonaws.com', 'PutMetricData', 'cloudwatch:PutMetricData'],
    ['sts.amazonaws.com', 'GetCallerIdentity', 'sts:GetCallerIdentity'],
    // No IAM action of that name: say so rather than guess.
    ['signin.amazonaws.com', 'ConsoleLogin', null],
    ['made-up.amazonaws.com', 'DoThing', null],
    ['../../etc.amazonaws.com', 'passwd', null],
  ])('%s %s → %s', async (eventSource, eventName, action) => {
    expect(await iamActionFor(eventSource, eventName)).toBe(action);
  });

  it('adds the action to each used-actions row', async () => {
    expect(
      await withIamActions([{ eventsource: 's3.amazonaws.com', eventname: 'ListBuckets', calls: 3 }]),
    ).toEqual([
      {
        eventsource: 's3.amazonaws.com',
        eventname: 'ListBuckets',
        calls: 3,
        iam_action: 's3:ListAllMyBuckets',
      },
    ]);
  });
});
