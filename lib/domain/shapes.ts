// The shapes of values that reach queries and IAM: validated once, at the edge, so that an
// attacker-chosen string cannot pass for an account, a region or an ARN.
import * as z from 'zod';

export const AccountId = z.string().regex(/^\d{12}$/, 'a 12-digit account ID');
export const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region such as us-east-1');
export const Arn = z
  .string()
  .max(2048)
  .regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:[\w+=,.@/:*-]+$/, 'an ARN');
export const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'a role ARN');
export const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: 'an IPv4 or IPv6 address' });
/** CloudTrail's time format, which compares correctly as text. */
export const Instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'a UTC time such as 2026-01-15T12:00:00Z');
/** The `timestamp` partition value. */
export const PartitionDay = z.string().regex(/^\d{4}\/\d{2}\/\d{2}$/, 'a partition day such as 2026/01/15');
/** A long-term (`AKIA`) or temporary (`ASIA`) access key ID. */
export const AccessKeyId = z
  .string()
  .regex(/^(AKIA|ASIA)[A-Z0-9]{12,124}$/, 'an access key ID such as AKIA…');
/** What STS accepts as a role session name. */
export const RoleSessionName = z.string().regex(/^[\w+=,.@-]{2,64}$/, 'a role session name');
/** An IAM user name, a source identity or an Identity Center user name (which may be an email). */
export const PersonName = z
  .string()
  .regex(/^[\w+=,.@-]{1,128}$/, 'a user name such as alice or alice@example.com');

/** A managed policy: AWS's own (`iam::aws:policy/...`) or the account's. */
export const PolicyArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, 'a managed policy ARN');

/** One value of a query's row, as every engine returns it. */
export type SqlCell = string | number | boolean | null;
