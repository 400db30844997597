// `revoker plan` prints what revoking a principal would change, with the guard rails'
// verdict, and never changes anything. `revoker undo CASE` restores what a case's
// revocation changed, exactly, or refuses when IAM has drifted since. Both work on the
// local IAM account files (the demo's by default).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type IamAccountState, own } from '../lib/domain/iam-state.ts';
import {
  planRevocation,
  type RevocationPlan,
  type RevocationTarget,
  rootTarget,
} from '../lib/domain/revocation/plan.ts';
import { toInstant } from '../lib/domain/time.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/local/config-file.ts';
import { DuckDbQueryEngine } from '../lib/local/duckdb-engine.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import { loadRunbooks } from '../lib/runbooks/catalog.ts';
import { offboard } from '../lib/usecases/offboard.ts';
import { recentRevocations } from '../lib/usecases/revoke.ts';
import { undoRevocation } from '../lib/usecases/undo.ts';
import { printable, printJson } from './output.ts';

export class RevocationCommandError extends Error {
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
          recentRevocations: await recentRevocations(
            new FileCaseStore(options.cases),
            now,
            config.guardRails.windowMinutes,
          ),
        });
        if (options.json) printJson(plan);
        else printPlan(plan);
      },
    );

  program
    .command('undo')
    .description('Restore exactly what a case’s revocation changed; refuses if IAM has changed since')
    .argument('<case>', 'the case ID (its file name under --cases)')
    .option('--iam-dir <dir>', 'local IAM account files', join('.local', 'demo', 'iam'))
    .option('--cases <dir>', 'case records', join('.local', 'demo', 'cases'))
    .action(async (caseId: string, options: { iamDir: string; cases: string }) => {
      const cases = new FileCaseStore(options.cases);
      const record = await cases.get(caseId);
      if (!record) throw new RevocationCommandError(`there is no case ${caseId} in ${options.cases}`);
      const trigger = record.trigger as { accountId?: string; target?: { accountId?: string } };
      const accountId = trigger.target?.accountId ?? trigger.accountId;
      if (!accountId) throw new RevocationCommandError(`case ${caseId} names no account`);
      const result = await undoRevocation(caseId, {
        iam: accountFile(options.iamDir, accountId),
        cases,
        clock: { now: () => new Date() },
      });
      console.log(
        `Undone: case ${result.caseId}, ${result.restoredSteps} change(s) reversed; IAM matches the state recorded before the revocation.`,
      );
    });
}

export function registerOffboard(program: Command): void {
  program
    .command('offboard')
    .description(
      'Revoke everything a person holds alone, from their logged activity and IAM user; name the rest for a human',
    )
    .requiredOption(
      '--user <name>',
      'the person: IAM user name, source identity or Identity Center user name',
    )
    .requiredOption('--account <id>', 'the account to offboard them from')
    .option('--logs <dir>', 'CloudTrail log files to inventory (DuckDB)', join('.local', 'demo', 'logs'))
    .option('--iam-dir <dir>', 'local IAM account files', join('.local', 'demo', 'iam'))
    .option('--cases <dir>', 'case records', join('.local', 'demo', 'cases'))
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--dry-run', 'plan and record, change nothing')
    .action(
      async (options: {
        user: string;
        account: string;
        logs: string;
        iamDir: string;
        cases: string;
        config: string;
        dryRun?: boolean;
      }) => {
        const engine = await DuckDbQueryEngine.open(options.logs);
        try {
          const result = await offboard(
            { person: options.user, accountId: options.account, dryRun: options.dryRun ?? false },
            {
              engine,
              runbooks: loadRunbooks(),
              iam: accountFile(options.iamDir, options.account),
              config: await loadConfigFile(options.config),
              clock: { now: () => new Date() },
              cases: new FileCaseStore(options.cases),
            },
          );
          const lines = [
            `Offboarding ${options.user} from ${options.account}: case ${result.caseId}, cutoff ${result.cutoff}`,
            '',
            'Found:',
          ];
          for (const row of result.inventory)
            lines.push(
              `  ${row.kind}  ${printable(row.identifier ?? null)}  (${row.calls} calls, last ${row.last_seen})`,
            );
          if (result.inventory.length === 0) lines.push('  nothing in the logs');
          lines.push('', result.applied ? 'Revoked:' : 'Would revoke (dry run):');
          for (const plan of result.plans.filter((candidate) => !candidate.requiresHuman)) {
            for (const planned of plan.actions) lines.push(`  - ${planned.action.action}: ${planned.why}`);
          }
          if (result.manualSteps.length > 0)
            lines.push('', 'For a human:', ...result.manualSteps.map((step) => `  - ${step}`));
          console.log(lines.join('\n'));
        } finally {
          await engine.close();
        }
      },
    );
}
