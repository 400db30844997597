import { describe, expect, it } from 'vitest';
import { accountOfArn } from '../../../../lib/domain/arn.ts';

describe('accountOfArn', () => {
  it('reads the account field, whatever the resource holds', () => {
    expect(accountOfArn('arn:aws:iam::222233334444:role/service/app-server')).toBe('222233334444');
    expect(accountOfArn('arn:aws-us-gov:sts::222233334444:assumed-role/ops:admin/session')).toBe(
      '222233334444',
    );
  });

  it('is null for what is not an ARN or names no account', () => {
    expect(accountOfArn('role/app-server')).toBeNull();
    expect(accountOfArn('arn:aws:iam::aws:policy/ReadOnlyAccess')).toBeNull();
    expect(accountOfArn('arn:aws:s3:::bucket')).toBeNull();
    expect(accountOfArn('')).toBeNull();
  });
});
