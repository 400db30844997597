// The operator API from the command line. `--deployed URL` sends a request to the deployed
// function URL, signed (SigV4) with the credentials the AWS SDK finds in the environment;
// `--deployed local` runs the same handler in this process over the demo's files, behind the
// same signature check, with keys made by `revoker operator credentials`. `revoker operator
// serve` serves it on 127.0.0.1 for other tools.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { Command } from 'commander';
import * as z from 'zod';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { callerOf } from '../lib/domain/access.ts';
import { AuditRecordSchema } from '../lib/domain/audit.ts';
import type { Config } from '../lib/domain/config.ts';
import { createOperatorHandler } from '../lib/handlers/operator.ts';
import { FileAuditLog } from '../lib/local/audit-log.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../lib/local/duckdb-engine.ts';
import { localGrantGuardArn } from '../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import {
  callSigned,
  OperatorCredentials,
  type OperatorHandler,
  serveOperator,
} from '../lib/local/operator-server.ts';
import { LocalPipelines } from '../lib/local/pipeline.ts';
import { FileScheduler } from '../lib/local/scheduler.ts';
import { APPROVAL_KEYS_FILE, FileSigningKeys } from '../lib/local/signing-keys.ts';
import { LocalTaskCallbacks } from '../lib/local/task-callbacks.ts';
import { AccountNotEnrolledError, type QueryEngine } from '../lib/ports.ts';
import { loadRunbooks } from '../lib/runbooks/catalog.ts';
import { type SigningCredentials, signingScopeOf, signRequest } from '../lib/sigv4.ts';
import type { OffboardingDependencies } from '../lib/usecases/operator.ts';
import { plural, printable, printJson, table } from './output.ts';

export const DEMO_STATE = join('.local', 'demo');

export class OperatorCallError extends Error {
  override name = 'OperatorCallError';
}

/** The local keys of `--deployed local` and `revoker operator serve`, beside the demo's cases. */
export function localCredentials(directory: string): OperatorCredentials {
  return new OperatorCredentials(join(directory, 'operator-credentials.json'));
}

/**
 * The account the local operator API serves, as the deployed one serves its stack's: the one
 * local IAM account (the demo makes one). Callers of any other account are refused.
 */
function localHomeAccount(iamDirectory: string): string {
  const accounts = existsSync(iamDirectory)
    ? readdirSync(iamDirectory).flatMap((name) => /^(\d{12})\.json$/.exec(name)?.[1] ?? [])
    : [];
  if (accounts.length !== 1)
    throw new OperatorCallError(
      `the local operator API serves one local IAM account, and ${iamDirectory} has ${accounts.length === 0 ? 'none (run npm run demo first)' : `${accounts.length}: ${accounts.join(', ')}`}`,
    );
  return accounts[0]!;
}

/**
 * The operator handler over local files: the demo's cases, IAM accounts, logs, schedules and
 * tokens; an offboarding runs on the local pipeline, and `close` waits for it to end.
 */
export function localOperator(
  directory: string,
  config: Config,
): { handler: OperatorHandler; close(): Promise<void> } {
  const clock = { now: () => new Date() };
  const iamFile = (accountId: string) => LocalIamAccount.pathFor(join(directory, 'iam'), accountId);
  const workflow = new LocalPipelines(async (accountId) => ({
    logs: join(directory, 'logs'),
    iamAccountFile: iamFile(accountId),
    casesDirectory: join(directory, 'cases'),
    callbacksDirectory: join(directory, 'callbacks'),
    notificationsFile: join(directory, 'notifications.jsonl'),
    deadLettersFile: join(directory, 'dead-letters.jsonl'),
    signingKeys: await FileSigningKeys.open(join(directory, APPROVAL_KEYS_FILE)),
    config,
    clock,
    print: (line) => console.log(line),
  }));
  let opened: DuckDbQueryEngine | null = null;
  // The logs are opened on the first runbook run only: the other routes never query.
  const engine: QueryEngine = {
    run: async (request) => {
      opened ??= await DuckDbQueryEngine.open(join(directory, 'logs'));
      return opened.run(request);
    },
  };
  const dependencies: OffboardingDependencies = {
    config,
    homeAccountId: localHomeAccount(join(directory, 'iam')),
    cases: new FileCaseStore(join(directory, 'cases')),
    audit: new FileAuditLog(join(directory, 'audit.jsonl')),
    clock,
    iamFor: (accountId) => {
      const file = iamFile(accountId);
      if (!/^\d{12}$/.test(accountId) || !existsSync(file))
        throw new AccountNotEnrolledError(
          `account ${accountId} has no local IAM account in ${join(directory, 'iam')}`,
        );
      return new LocalIamAccount(file);
    },
    scheduler: new FileScheduler(join(directory, 'schedules'), clock),
    callbacks: new LocalTaskCallbacks(join(directory, 'callbacks'), clock),
    engine,
    runbooks: loadRunbooks(),
    // Each local account's own guard (`revoker demo` makes it with the account).
    grantGuard: localGrantGuardArn,
    workflow,
  };
  const handler = createOperatorHandler(dependencies) as unknown as OperatorHandler;
  return {
    handler,
    close: async () => {
      await workflow.close();
      await opened?.close();
    },
  };
}

/** Where a command sends operator requests: a deployed URL, or `local`. */
export interface OperatorTarget {
  deployed: string;
  /** For `local`: the demo's directory and configuration. */
  dir?: string;
  config?: string;
  /** For `local`: run it in dry-run mode, as a stack deployed with `Mode=dry-run`. */
  dryRun?: boolean;
}

async function environmentCredentials(): Promise<SigningCredentials> {
  try {
    return await defaultProvider()();
  } catch (error) {
    throw new OperatorCallError(
      `no AWS credentials to sign the request with (${(error as Error).message}); for --deployed local, set them with: eval "$(npx revoker operator credentials --identity YOUR-ARN)"`,
    );
  }
}

/** Send one request to the operator API, signed; the parsed JSON answer, or an error with the API's reason. */
export async function callOperator(
  target: OperatorTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const credentials = await environmentCredentials();
  const local = target.deployed === 'local';
  const url = new URL(path, local ? 'http://127.0.0.1' : target.deployed.replace(/\/?$/, '/'));
  const headers: Record<string, string> = text ? { 'content-type': 'application/json' } : {};
  const signed = await signRequest(
    { method, url, headers, body: text },
    credentials,
    signingScopeOf(url, process.env.AWS_REGION ?? 'us-east-1'),
  );
  const lower = Object.fromEntries(
    Object.entries(signed).map(([name, value]) => [name.toLowerCase(), value]),
  );
  let status: number;
  let answer: string;
  if (local) {
    const directory = target.dir ?? DEMO_STATE;
    const config = await loadConfigFile(target.config ?? DEFAULT_CONFIG_FILE);
    const operator = localOperator(directory, target.dryRun ? { ...config, mode: 'dry-run' } : config);
    try {
      const result = await callSigned(operator.handler, localCredentials(directory), {
        method,
        url,
        headers: lower,
        body: text,
      });
      status = result.statusCode ?? 200;
      answer = result.body ?? '';
    } finally {
      await operator.close();
    }
  } else {
    const response = await fetch(url, { method, headers: lower, ...(text ? { body: text } : {}) });
    status = response.status;
    answer = await response.text();
  }
  let parsed: unknown = null;
  try {
    parsed = answer ? JSON.parse(answer) : null;
  } catch {
    parsed = { error: answer.slice(0, 500) };
  }
  if (status >= 300) {
    const reason = (parsed as { error?: unknown } | null)?.error;
    throw new OperatorCallError(
      `the operator API refused (${status}): ${typeof reason === 'string' ? reason : answer.slice(0, 500)}`,
    );
  }
  return parsed;
}

/** The `--deployed` option every operator command takes. */
export const DEPLOYED_OPTION = [
  '--deployed <url>',
  'send it through the operator API: the stack’s function URL (signed with your AWS credentials), or `local` for the demo’s files',
] as const;

export function registerOperator(program: Command): void {
  const operator = program.command('operator').description('The operator API, on this machine');

  operator
    .command('serve')
    .description(
      'Serve the operator API for the demo’s files on 127.0.0.1, checking each request’s SigV4 signature',
    )
    .option('--port <port>', 'the port', '8788')
    .option('--dir <dir>', 'the demo’s directory', DEMO_STATE)
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .action(async (options: { port: string; dir: string; config: string }) => {
      const local = localOperator(options.dir, await loadConfigFile(options.config));
      const server = await serveOperator(local.handler, localCredentials(options.dir), Number(options.port));
      console.log(
        `The operator API is at ${server.url} (local keys: ${localCredentials(options.dir).file}). Ctrl-C stops it.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await server.close();
      await local.close();
    });

  operator
    .command('credentials')
    .description('Make a local access key for an identity, and print the environment that signs as it')
    .requiredOption('--identity <arn>', 'who the key is: an IAM user ARN or an assumed-role session ARN')
    .option('--dir <dir>', 'the demo’s directory', DEMO_STATE)
    .option('--json', 'print the identity and its key as JSON instead')
    .action(async (options: { identity: string; dir: string; json?: boolean }) => {
      callerOf(options.identity);
      const key = await localCredentials(options.dir).mint(options.identity);
      if (options.json)
        return printJson({
          identity: options.identity,
          accessKeyId: key.accessKeyId,
          secretAccessKey: key.secretAccessKey,
        });
      console.log(`export AWS_ACCESS_KEY_ID=${key.accessKeyId}`);
      console.log(`export AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`);
      console.log('unset AWS_SESSION_TOKEN AWS_PROFILE');
      console.log(`# signs as ${options.identity} for --deployed local and revoker operator serve`);
    });
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description(
      'The operator API’s decisions, allowed and refused, with who asked (for the access.auditors groups)',
    )
    .option(...DEPLOYED_OPTION, 'local')
    .option('--days <n>', 'how many days back', '7')
    .option('--dir <dir>', 'with --deployed local: the demo’s directory', DEMO_STATE)
    .option('--config <file>', 'with --deployed local: the configuration file', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the records as JSON')
    .action(
      async (options: { deployed: string; days: string; dir: string; config: string; json?: boolean }) => {
        const records = z
          .array(AuditRecordSchema)
          .parse(await callOperator(options, 'GET', `audit?days=${encodeURIComponent(options.days)}`));
        if (options.json) return printJson(records);
        if (records.length === 0)
          return console.log(`no decisions in the last ${plural(Number(options.days), 'day')}`);
        console.log(
          table([
            ['at', 'who', 'action', 'target', 'decision', 'why'],
            ...records.map((record) => [
              record.at,
              printable(record.identity, 60),
              record.action,
              printable(record.target, 60),
              record.allowed ? 'allowed' : 'refused',
              printable(record.reason, 80),
            ]),
          ]),
        );
      },
    );
}
