// ARNs, read by their fields rather than by position in a split.
import { parse, validate } from '@aws-sdk/util-arn-parser';

/** The account an ARN names, or null when it is not an ARN or names none (an AWS managed policy's). */
export function accountOfArn(arn: string): string | null {
  if (!validate(arn)) return null;
  const { accountId } = parse(arn);
  return /^\d{12}$/.test(accountId) ? accountId : null;
}
