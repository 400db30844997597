// `revoker plan` prints what revoking a principal would change, with the guard rails'
// verdict, and never changes anything. `revoker undo CASE` restores what a case's
// revocation changed, exactly, or refuses when IAM has drifted since. `revoker offboard`
// offboards a person, on the local files or through the operator API (`--deployed`). They
// work on the local IAM account files (the demo's by default).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { executionNameOf, lastEntry } from '../lib/domain/case.ts';
import { describeIssues } from '../lib/domain/cloudtrail.ts';
import type { Config } from '../lib/domain/config.ts';
import { type IamAccountState, own } from '../lib/domain/iam-state.ts';
import { OffboardingDetailSchema, offboardingTrigger } from '../lib/domain/offboarding.ts';
import {
  planRevocation,
  type RevocationPlan,
  type RevocationTarget,
  rootTarget,
} from '../lib/domain/revocation/plan.ts';
import { toInstant } from '../lib/domain/time.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import { openLocalPipeline } from '../lib/local/pipeline.ts';
import { StderrTelemetry } from '../lib/local/stderr-telemetry.ts';
import { requireCase, revocationsInWindow } from '../lib/usecases/cases.ts';
import { reconcile } from '../lib/usecases/revocations.ts';
import { startOffboardingCase } from '../lib/usecases/start-offboarding.ts';
import { undoRevocation } from '../lib/usecases/undo.ts';
import { APPROVAL_KEYS_FILE, signingKeysIn } from './approvals.ts';
import { caseTimeline } from './cases.ts';
import { InputError } from './exit-codes.ts';
import { callOperator, DEMO_STATE, DEPLOYED_OPTION } from './operator.ts';
import { plural, printable, printJson } from './output.ts';

export class RevocationCommandError extends InputError {
  override name = 'RevocationCommandError';
}

const ROLE = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/;
const USER = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:.*\/)?([\w+=,.@-]+)$/;
const SESSION = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/(.+)$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** What an ARN names, as far as the ARN alone can say. */
function parsePrincipalArn(arn: string): {
  accountId: string;
  kind: 'role' | 'session' | 'user' | 'root';
  name: string;
} {
  for (const [kind, pattern] of [
    ['role', ROLE],
    ['session', SESSION],
    ['user', USER],
    ['root', ROOT],
  ] as const) {
    const match = pattern.exec(arn);
    if (match) return { accountId: match[1]!, kind, name: match[2] ?? 'root' };
  }
  throw new RevocationCommandError(`${arn} is not a role, role session, user or root ARN`);
}

/** The revocation target for an ARN, with a session's role (and its path) found in the account. */
function targetForArn(
  arn: string,
  scope: 'sessions' | 'principal',
  state: IamAccountState,
): RevocationTarget {
  const { accountId, kind, name } = parsePrincipalArn(arn);
  if (kind === 'root') return rootTarget(arn);
  if (kind === 'user') return { kind: 'iam-user', accountId, userName: name, arn };
  const roleArn = kind === 'role' ? arn : own(state.roles, name)?.arn;
  if (!roleArn) throw new RevocationCommandError(`role ${name} is not in the IAM account ${accountId}`);
  return scope === 'principal'
    ? { kind: 'role', accountId, roleName: name, roleArn }
    : { kind: 'role-sessions', accountId, roleName: name, roleArn, session: null };
}

function accountFile(directory: string, accountId: string): LocalIamAccount {
  const file = LocalIamAccount.pathFor(directory, accountId);
  if (!existsSync(file)) {
    throw new RevocationCommandError(
      `no local IAM account ${accountId} in ${directory}; run \`revoker demo\` or point --iam-dir at one`,
    );
  }
  return new LocalIamAccount(file);
}

function printPlan(plan: RevocationPlan): void {
  const lines = [`Plan for ${describeTarget(plan.target)}, cutoff ${plan.cutoff}`];
  lines.push(
    plan.requiresHuman
      ? `Guard rails: a human must decide — ${plan.requiresHuman}.`
      : 'Guard rails: may run automatically.',
  );
  if (plan.actions.length > 0) {
    lines.push('', 'Actions, in order:');
    plan.actions.forEach((planned, index) => {
      lines.push(`  ${index + 1}. ${planned.action.action}  (${planned.permissions.join(', ')})`);
      lines.push(`     ${planned.why}`);
    });
  }
  if (plan.escalationOnly.length > 0) {
    lines.push('', 'Only with a human’s approval:');
    for (const planned of plan.escalationOnly) lines.push(`  - ${planned.action.action}: ${planned.why}`);
  }
  for (const [title, items] of [
    ['What a human must do', plan.manualSteps],
    ['Notes', plan.notes],
  ] as const) {
    if (items.length > 0) lines.push('', `${title}:`, ...items.map((item) => `  - ${item}`));
  }
  lines.push('', 'Nothing was changed.');
  console.log(lines.join('\n'));
}

function describeTarget(target: RevocationTarget): string {
  switch (target.kind) {
    case 'role-sessions':
      return `the sessions of ${target.roleArn}`;
    case 'role':
      return `role ${target.roleArn}`;
    case 'iam-user':
      return `user ${target.arn}`;
    case 'identity-center-user':
      return `Identity Center user ${target.label}`;
    case 'not-revocable':
      return target.arn ?? 'a principal that cannot be revoked automatically';
  }
}

export function registerRevocation(program: Command): void {
  program
    .command('plan')
    .description(
      'Show what revoking a principal would change, and whether the guard rails allow it; changes nothing',
    )
    .requiredOption('--principal <arn>', 'a role, role session, user or root ARN')
    .option(
      '--scope <scope>',
      'sessions: deny the role’s sessions; principal: quarantine the whole role',
      'sessions',
    )
    .option('--iam-dir <dir>', 'local IAM account files', join('.local', 'demo', 'iam'))
    .option(
      '--cases <dir>',
      'case records, for the revocations-per-window cap',
      join('.local', 'demo', 'cases'),
    )
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--dry-run', 'the default for plan: show, never change (accepted for symmetry with the pipeline)')
    .option('--json', 'print the plan as JSON')
    .action(
      async (options: {
        principal: string;
        scope: string;
        iamDir: string;
        cases: string;
        config: string;
        json?: boolean;
      }) => {
        if (options.scope !== 'sessions' && options.scope !== 'principal') {
          throw new RevocationCommandError(`--scope must be sessions or principal, not ${options.scope}`);
        }
        const config = await loadConfigFile(options.config);
        const state = await accountFile(
          options.iamDir,
          parsePrincipalArn(options.principal).accountId,
        ).load();
        const target = targetForArn(options.principal, options.scope, state);
        const now = new Date();
        const plan = planRevocation(target, {
          config,
          state,
          cutoff: toInstant(now),
          recentRevocations: await revocationsInWindow(
            new FileCaseStore(options.cases),
            now,
            config.guardRails,
          ),
        });
        if (options.json) printJson(plan);
        else printPlan(plan);
      },
    );

  program
    .command('undo')
    .description(
      'Restore exactly what a case’s revocations changed, latest first; refuses, changing nothing, if IAM has changed since',
    )
    .argument('<case>', 'the case ID (its file name under --cases)')
    .option('--iam-dir <dir>', 'local IAM account files', join('.local', 'demo', 'iam'))
    .option('--cases <dir>', 'case records', join('.local', 'demo', 'cases'))
    .option('--json', 'print what was reversed as JSON')
    .action(async (caseId: string, options: { iamDir: string; cases: string; json?: boolean }) => {
      const result = await undoRevocation(caseId, await caseParts(caseId, options));
      if (options.json) return printJson(result);
      console.log(
        `Undone: case ${result.caseId}, ${plural(result.reversed.length, 'change')} reversed; IAM matches the state recorded before each revocation.`,
      );
    });

  program
    .command('reconcile')
    .description(
      'Finish a case’s interrupted revocations from their recorded intent: IAM’s read-back decides what is already done (`undo` reverts instead)',
    )
    .argument('<case>', 'the case ID (its file name under --cases)')
    .option('--iam-dir <dir>', 'local IAM account files', join('.local', 'demo', 'iam'))
    .option('--cases <dir>', 'case records', join('.local', 'demo', 'cases'))
    .option('--json', 'print the revocations finished as JSON')
    .action(async (caseId: string, options: { iamDir: string; cases: string; json?: boolean }) => {
      const { finished } = await reconcile({ caseId, ...(await caseParts(caseId, options)) });
      if (options.json) return printJson({ caseId, finished });
      console.log(
        finished.length === 0
          ? `Case ${caseId} has no interrupted revocation: nothing to reconcile.`
          : `Reconciled case ${caseId}: finished ${finished.join(', ')}; IAM shows every change they set out to make.`,
      );
    });
}

/** A local case and the IAM account it acts in, for `undo` and `reconcile`. */
async function caseParts(caseId: string, options: { iamDir: string; cases: string }) {
  const cases = new FileCaseStore(options.cases);
  const record = await cases.get(caseId);
  if (!record) throw new RevocationCommandError(`there is no case ${caseId} in ${options.cases}`);
  return {
    cases,
    iam: accountFile(options.iamDir, record.header.trigger.target.accountId),
    clock: { now: () => new Date() },
  };
}

/** A refusal, not bad input: the person's offboarding is already under way. */
export class OffboardingOpenError extends Error {
  override name = 'OffboardingOpenError';
}

/** What `POST /offboard` answers. */
const OffboardAnswerSchema = z.object({
  status: z.string(),
  caseId: z.string().nullable(),
  requestedBy: z.string(),
  confirmedBy: z.string().nullable(),
  message: z.string(),
});

interface OffboardOptions {
  user: string;
  account: string;
  region: string;
  reason?: string;
  requestedBy?: string;
  deployed?: string;
  dir: string;
  logs: string;
  iamDir: string;
  cases: string;
  callbacks: string;
  config: string;
  dryRun?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export function registerOffboard(program: Command): void {
  program
    .command('offboard')
    .description(
      'Offboard a person through the pipeline: revoke everything they hold alone, name the rest for a human, verify from the logs',
    )
    .requiredOption(
      '--user <name>',
      'the person: IAM user name, source identity or Identity Center user name',
    )
    .requiredOption('--account <id>', 'the account to offboard them from')
    .option('--region <region>', 'the region whose logs verification reads first', 'us-east-1')
    .option('--reason <text>', 'why, recorded on the case (required with --deployed)')
    .option(...DEPLOYED_OPTION)
    .option('--dir <dir>', 'with --deployed local: the demo’s directory', DEMO_STATE)
    .option(
      '--requested-by <who>',
      'on the local files: who asks, recorded on the case (default: local user and your user name); with --deployed, you are your verified identity',
    )
    .option('--logs <dir>', 'CloudTrail log files to inventory (DuckDB)', join('.local', 'demo', 'logs'))
    .option('--iam-dir <dir>', 'local IAM account files', join('.local', 'demo', 'iam'))
    .option('--cases <dir>', 'case records', join('.local', 'demo', 'cases'))
    .option(
      '--callbacks <dir>',
      'task tokens of cases waiting for an approver',
      join('.local', 'demo', 'callbacks'),
    )
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--dry-run', 'on the local files, or with --deployed local: plan and record, change nothing')
    .option('--verbose', 'print each step’s case events on stderr, as the deployed functions log them')
    .option('--json', 'print the answer and, once it ends, the case record as JSON')
    .action(async (options: OffboardOptions) =>
      options.deployed ? offboardThroughOperator(options, options.deployed) : offboardLocally(options),
    );
}

/**
 * As the verified caller, through the operator API: access.offboarders decides, and the case
 * records who asked. With `local`, the case runs here and its timeline is printed when it ends.
 */
async function offboardThroughOperator(options: OffboardOptions, deployed: string): Promise<void> {
  if (options.requestedBy)
    throw new RevocationCommandError(
      '--requested-by and --deployed: through the operator API you are who your credentials say',
    );
  if (options.dryRun && deployed !== 'local')
    throw new RevocationCommandError(
      '--dry-run and --deployed URL: the stack’s Mode decides (with --deployed local, --dry-run runs the local API in dry-run mode)',
    );
  if (!options.reason)
    throw new RevocationCommandError('--reason is required with --deployed: it is recorded on the case');
  const answer = OffboardAnswerSchema.parse(
    await callOperator(
      { deployed, dir: options.dir, config: options.config, dryRun: options.dryRun === true },
      'POST',
      'offboard',
      {
        person: options.user,
        accountId: options.account,
        region: options.region,
        reason: options.reason,
      },
    ),
  );
  const local = deployed === 'local' && answer.caseId ? new FileCaseStore(join(options.dir, 'cases')) : null;
  if (options.json)
    return printJson({ ...answer, case: local ? await requireCase(local, answer.caseId!) : null });
  const who = answer.confirmedBy
    ? `requested by ${answer.requestedBy}, confirmed by ${answer.confirmedBy}`
    : `requested by ${answer.requestedBy}`;
  console.log(`Offboarding ${options.user} from ${options.account}: ${answer.message}; ${who} (verified).`);
  if (local) await printOffboarding(local, answer.caseId!);
}

/**
 * On the local files, whose owner is trusted as `revoker approve --approver` trusts them: the
 * case is opened directly, with the requester they name, and runs on the local pipeline.
 */
async function offboardLocally(options: OffboardOptions): Promise<void> {
  const detail = OffboardingDetailSchema.safeParse({
    person: options.user,
    accountId: options.account,
    region: options.region,
    requestedBy: options.requestedBy ?? localRequester(),
    ...(options.reason ? { reason: options.reason } : {}),
  });
  if (!detail.success) throw new RevocationCommandError(describeIssues(detail.error));
  const config = await loadConfigFile(options.config);
  const iam = accountFile(options.iamDir, options.account);
  const pipelineConfig: Config = options.dryRun ? { ...config, mode: 'dry-run' } : config;
  const clock = { now: () => new Date() };
  const pipeline = await openLocalPipeline({
    logs: options.logs,
    iamAccountFile: iam.file,
    casesDirectory: options.cases,
    callbacksDirectory: options.callbacks,
    notificationsFile: join(dirname(options.cases), 'notifications.jsonl'),
    deadLettersFile: join(dirname(options.cases), 'dead-letters.jsonl'),
    signingKeys: await signingKeysIn(join(dirname(options.cases), APPROVAL_KEYS_FILE)),
    config: pipelineConfig,
    clock,
    print: (line) => (options.json ? undefined : console.log(line)),
    ...(options.verbose ? { telemetry: new StderrTelemetry() } : {}),
  });
  try {
    const trigger = offboardingTrigger(detail.data, null, toInstant(clock.now()));
    const started = await startOffboardingCase(trigger, detail.data, `cli:${randomUUID()}`, {
      ...pipeline,
      clock,
      config: pipelineConfig,
    });
    if (started.status !== 'opened' || started.caseId === null) {
      throw new OffboardingOpenError(
        `an offboarding of ${options.user} in ${options.account} is already open (case ${started.caseId ?? 'being opened'}): it goes on there`,
      );
    }
    await pipeline.workflow.executions.get(executionNameOf(started.caseId))!.output;
    if (options.json) return printJson({ case: await requireCase(pipeline.cases, started.caseId) });
    console.log(`Offboarding ${options.user} from ${options.account}: case ${started.caseId}`);
    await printOffboarding(pipeline.cases, started.caseId);
  } finally {
    await pipeline.close();
  }
}

/**
 * Who asks when `--requested-by` is not given: this machine's user, named as such, since a bare
 * `root` on an AWS case reads as the account's root user.
 */
export function localRequester(): string {
  return `local user ${userInfo().username || 'unknown'}`;
}

/** What the offboarding found, what it left for a human, and its timeline. */
async function printOffboarding(cases: FileCaseStore, caseId: string): Promise<void> {
  const record = await requireCase(cases, caseId);
  const offboarding = lastEntry(record, 'offboard')?.detail;
  const lines = ['', 'Found:'];
  for (const row of offboarding?.inventory ?? [])
    lines.push(
      `  ${row.kind}  ${printable(row.identifier ?? null)}  (${plural(Number(row.calls), 'call')}, last ${row.last_seen})`,
    );
  if ((offboarding?.inventory ?? []).length === 0) lines.push('  nothing in the logs');
  if ((offboarding?.manualSteps ?? []).length > 0)
    lines.push('', 'For a human:', ...offboarding!.manualSteps.map((step) => `  - ${step}`));
  lines.push('', ...caseTimeline(record));
  console.log(lines.join('\n'));
}
