import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { awsServiceOf, FindingsConfigSchema, findingResponse } from '../../../../lib/domain/findings.ts';

describe('findings configuration', () => {
  it('reads responses keyed by product and type, spaces in ASFF types included', () => {
    const config = FindingsConfigSchema.parse(
      parse(`
responses:
  "guardduty:Policy:IAMUser/RootCredentialUsage": escalate
  "macie:Effects/Data Exfiltration/Custom": notify
otherwise: notify
`),
    );

    expect(
      findingResponse(
        { findings: config },
        '111122223333',
        'guardduty:Policy:IAMUser/RootCredentialUsage',
        'low',
      ),
    ).toBe('escalate');
    expect(
      findingResponse({ findings: config }, '111122223333', 'macie:Effects/Data Exfiltration/Custom', 'high'),
    ).toBe('notify');
  });

  it('refuses a key without a product, and finds nothing under an inherited property name', () => {
    expect(
      FindingsConfigSchema.safeParse({ responses: { 'Policy/RootCredentialUsage': 'notify' } }).success,
    ).toBe(false);
    const none = FindingsConfigSchema.parse({});
    for (const key of ['constructor', '__proto__', 'toString', 'guardduty:constructor'])
      expect(findingResponse({ findings: none }, '111122223333', key, 'critical')).toBe('escalate');
  });
});

describe('whose finding it is', () => {
  it('names the AWS service of an AWS product, and nothing for any other product', () => {
    expect(awsServiceOf('arn:aws:securityhub:us-east-1::product/aws/guardduty')).toBe('guardduty');
    expect(awsServiceOf('arn:aws-us-gov:securityhub:us-gov-west-1::product/aws/macie')).toBe('macie');
    expect(
      awsServiceOf('arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default'),
    ).toBeNull();
    expect(awsServiceOf('arn:aws:securityhub:us-east-1::product/crowdstrike/crowdstrike-falcon')).toBeNull();
    expect(awsServiceOf('arn:aws:securityhub:us-east-1::product/aws/guardduty/extra')).toBeNull();
  });
});
