// The embedded default, wired: DuckDB over a log folder, a file-backed IAM account and case
// store, and the real ASL run locally with its tasks bound to the real handlers.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { Step } from '../domain/case-events.ts';
import type { Config } from '../domain/config.ts';
import { AccountId } from '../domain/shapes.ts';
import { EnrolledIam } from '../enrolled-iam.ts';
import { reportCaseEvents } from '../handlers/case-events.ts';
import { createCloseHandler } from '../handlers/close.ts';
import { createConfirmHandler } from '../handlers/confirm.ts';
import { createDetectHandler } from '../handlers/detect.ts';
import { createEscalateHandler } from '../handlers/escalate.ts';
import { createExpireGrantHandler } from '../handlers/expire-grant.ts';
import { createOffboardHandler } from '../handlers/offboard.ts';
import { createRevokeHandler } from '../handlers/revoke.ts';
import { createVerifyHandler } from '../handlers/verify.ts';
import type { Clock, SigningKeys, Telemetry, WorkflowStarter } from '../ports.ts';
import { loadRunbooks } from '../runbooks/catalog.ts';
import { FileCaseStore } from './case-store.ts';
import { FileDeadLetters } from './dead-letters.ts';
import { DuckDbQueryEngine } from './duckdb-engine.ts';
import { FileCaseArchive } from './file-case-archive.ts';
import { LocalIamAccount } from './iam-account.ts';
import { FileIdentityDirectory } from './identity-directory.ts';
import { FileNotifier } from './notifier.ts';
import { type LocalExecution, type LocalFunction, LocalStateMachine } from './state-machine.ts';
import { LocalTaskCallbacks } from './task-callbacks.ts';

/** A clock the demo and tests move by hand, so waits cost no real time. */
export class SimulatedClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

function lambdaContext(functionName: string): Context {
  return {
    functionName: `revoker-${functionName}`,
    awsRequestId: `local-${Date.now()}`,
    getRemainingTimeInMillis: () => 300_000,
  } as Context;
}

/** Call a middy handler the way the Lambda runtime does: event and context. */
export function asLocalFunction(
  name: string,
  handler: (event: unknown, context: Context) => Promise<unknown>,
): LocalFunction {
  return (event) => handler(event, lambdaContext(name));
}

/** Starts each execution name once, as Step Functions does for 90 days. */
export class LocalWorkflow implements WorkflowStarter {
  readonly executions = new Map<string, LocalExecution>();
  constructor(private readonly machine: LocalStateMachine) {}

  async start(name: string, input: unknown): Promise<'started' | 'already-started'> {
    if (this.executions.has(name)) return 'already-started';
    this.executions.set(name, this.machine.start(name, input));
    return 'started';
  }
}

export interface LocalPipelineOptions {
  logs: string;
  iamAccountFile: string;
  casesDirectory: string;
  /** Where waiting tasks' tokens and answers live (the stand-in for SendTaskSuccess). */
  callbacksDirectory: string;
  /** Where the SNS and Slack payloads are written. */
  notificationsFile: string;
  /** Where detect sets aside the events it rejects, with the reason. */
  deadLettersFile: string;
  /** Identity Center's users and assignments, to offboard a user it removes (optional). */
  identityDirectoryFile?: string;
  /** The keys approval links are signed with (a file locally: see FileSigningKeys). */
  signingKeys: SigningKeys;
  config: Config;
  clock: Clock;
  /** Wrap a task's function, e.g. to let simulated time pass before it runs. */
  around?: Partial<
    Record<
      'confirm' | 'revoke' | 'offboard' | 'expireGrant' | 'escalate' | 'verify' | 'close',
      (run: LocalFunction) => LocalFunction
    >
  >;
  /** Where a notification's one-line summary goes. */
  print?: (line: string) => void;
  /** The IAM account over `iamAccountFile`, when the caller needs its own (a test counting changes). */
  iam?: LocalIamAccount;
  /** Where each step reports its case events, as the deployed functions do (`--verbose`: stderr). */
  telemetry?: Telemetry;
}

export interface LocalPipeline {
  engine: DuckDbQueryEngine;
  /** The pipeline's own account (the file it was opened on). */
  iam: LocalIamAccount;
  /** Every account it acts in, as the configuration enrols them (what its functions use). */
  accounts: EnrolledIam;
  cases: FileCaseStore;
  callbacks: LocalTaskCallbacks;
  notifier: FileNotifier;
  workflow: LocalWorkflow;
  detect: LocalFunction;
  close(): Promise<void>;
}

/**
 * The local accounts as the configuration enrols them: the home account is the file the
 * pipeline was opened on; each member account is its own file beside it
 * (`<account>.json`), acted in as if through its member role. Any other account is refused.
 */
export async function localEnrolledIam(config: Config, home: LocalIamAccount): Promise<EnrolledIam> {
  const accountId = existsSync(home.file) ? (await home.load()).accountId : basename(home.file, '.json');
  return new EnrolledIam(config.accounts, { accountId, partition: 'aws' }, (member, enrolment) =>
    enrolment.kind === 'own'
      ? home
      : new LocalIamAccount(LocalIamAccount.pathFor(dirname(home.file), member)),
  );
}

export async function openLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const { config, clock } = options;
  const engine = await DuckDbQueryEngine.open(options.logs);
  const home = options.iam ?? new LocalIamAccount(options.iamAccountFile);
  const iam = await localEnrolledIam(config, home);
  const cases = new FileCaseStore(options.casesDirectory);
  const callbacks = new LocalTaskCallbacks(options.callbacksDirectory, clock);
  const notifier = new FileNotifier(options.notificationsFile, clock, options.print);
  // Beside the case records, as the audit bucket is beside the case table.
  const archive = new FileCaseArchive(join(dirname(options.casesDirectory), 'archive'));
  const runbooks = loadRunbooks();
  const { telemetry } = options;
  /** A handler as the Lambda runtime calls it, reporting its events as the deployed one does. */
  const local = <R>(step: Step, handler: MiddyfiedHandler<unknown, R>): LocalFunction =>
    asLocalFunction(step, telemetry ? handler.use(reportCaseEvents(step, telemetry, clock)) : handler);
  const functions: Record<string, LocalFunction> = {
    confirm: local('confirm', createConfirmHandler({ engine, runbooks, config, clock, cases })),
    revoke: local('revoke', createRevokeHandler({ iam, config, clock, cases })),
    offboard: local('offboard', createOffboardHandler({ engine, runbooks, iam, config, clock, cases })),
    expireGrant: local(
      'expire-grant',
      createExpireGrantHandler({ engine, runbooks, iam: iam.withHome(), config, clock, cases }),
    ),
    verify: local('verify', createVerifyHandler({ engine, runbooks, config, clock, cases })),
    escalate: local(
      'escalate',
      createEscalateHandler({ cases, clock, config, iam, notifier, keys: options.signingKeys }),
    ),
    close: local('close', createCloseHandler({ cases, clock, notifier, archive })),
  };
  for (const [name, wrap] of Object.entries(options.around ?? {})) functions[name] = wrap(functions[name]!);
  const workflow = new LocalWorkflow(new LocalStateMachine(functions, callbacks));
  const deadLetters = new FileDeadLetters(options.deadLettersFile, clock);
  const directory = options.identityDirectoryFile
    ? new FileIdentityDirectory(options.identityDirectoryFile)
    : undefined;
  const detect = local(
    'detect',
    createDetectHandler({
      cases,
      workflow,
      clock,
      callbacks,
      config,
      deadLetters,
      ...(directory ? { directory } : {}),
    }),
  );
  return {
    engine,
    iam: home,
    accounts: iam,
    cases,
    callbacks,
    notifier,
    workflow,
    detect,
    close: () => engine.close(),
  };
}

/** The account an execution acts in, from the input intake gives it. */
const ExecutionAccountSchema = z.object({
  trigger: z.object({ target: z.object({ accountId: AccountId }) }),
});

/**
 * The workflow of the local operator API: each execution runs on the local pipeline of the
 * account it acts in (each pipeline opened on first use), since a request may name any local
 * account. `close` waits for every execution started here to end, then closes the pipelines.
 */
export class LocalPipelines implements WorkflowStarter {
  private readonly opened = new Map<string, Promise<LocalPipeline>>();
  private readonly running: Promise<unknown>[] = [];

  constructor(private readonly optionsFor: (accountId: string) => Promise<LocalPipelineOptions>) {}

  async start(name: string, input: unknown): Promise<'started' | 'already-started'> {
    const { accountId } = ExecutionAccountSchema.parse(input).trigger.target;
    let pipeline = this.opened.get(accountId);
    if (!pipeline) {
      pipeline = this.optionsFor(accountId).then(openLocalPipeline);
      this.opened.set(accountId, pipeline);
    }
    const { workflow } = await pipeline;
    const started = await workflow.start(name, input);
    if (started === 'started') this.running.push(workflow.executions.get(name)!.output);
    return started;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.running);
    for (const opened of await Promise.allSettled(this.opened.values()))
      if (opened.status === 'fulfilled') await opened.value.close();
  }
}
