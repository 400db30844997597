// The options of the commands that read one principal's calls over a window of the logs
// (`revoker refine`, `revoker jit propose`): whose, how far back, and where to query.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { accountOfArn } from '../lib/domain/arn.ts';
import { type IamAccountState, LocalIamAccount } from '../lib/local/iam-account.ts';
import { InputError } from './exit-codes.ts';
import { queryOptions } from './runbook.ts';

export class LogWindowError extends InputError {
  override name = 'LogWindowError';
}

export interface LogWindowOptions {
  principal: string;
  days: number;
  end?: string;
  logs?: string;
  athena?: boolean;
  workgroup?: string;
  database?: string;
  table?: string;
  iamDir: string;
}

const PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

function principalArn(value: string): string {
  if (!PRINCIPAL.test(value))
    throw new InvalidArgumentError('expected a role or user ARN (arn:aws:iam::…:role/…)');
  return value;
}

function days(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 400)
    throw new InvalidArgumentError('expected whole days, 1 to 400');
  return parsed;
}

function instant(value: string): string {
  if (Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError('expected a time such as 2026-01-15T12:00:00Z');
  return value;
}

/** `--principal`, `--days`, `--end`, `--logs` or `--athena …`, and `--iam-dir`. */
export function logWindowOptions(command: Command, defaultDays: number, iamDirFor: string): Command {
  return queryOptions(
    command
      .requiredOption('--principal <arn>', 'the role or user, by its IAM ARN', principalArn)
      .option('--days <n>', 'how far back to look', days, defaultDays)
      .option('--end <time>', 'the end of the window (default: now)', instant),
  ).option('--iam-dir <dir>', `local IAM account files, for ${iamDirFor}`, DEFAULT_IAM_DIR);
}

const DEFAULT_IAM_DIR = join('.local', 'demo', 'iam');

/** The window the options name, and the principal's account's IAM when the local files hold it. */
export async function logWindowOf(options: LogWindowOptions): Promise<{
  window: { account: string; principal: string; start: Date; end: Date };
  iam: IamAccountState | null;
}> {
  const account = accountOfArn(options.principal);
  if (!account) throw new LogWindowError(`${options.principal} names no account`);
  // A path that is not there is said so, by its option, not as a raw ENOENT.
  if (options.logs && !existsSync(options.logs))
    throw new LogWindowError(`no directory ${options.logs} (--logs)`);
  if (options.iamDir !== DEFAULT_IAM_DIR && !existsSync(options.iamDir))
    throw new LogWindowError(`no directory ${options.iamDir} (--iam-dir)`);
  const end = options.end ? new Date(options.end) : new Date();
  const start = new Date(end.getTime() - options.days * 86_400_000);
  const iamFile = LocalIamAccount.pathFor(options.iamDir, account);
  const iam = existsSync(iamFile) ? await new LocalIamAccount(iamFile).load() : null;
  return { window: { account, principal: options.principal, start, end }, iam };
}
