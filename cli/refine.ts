// `revoker refine`: the narrowest policy a role or user needs, from what it did in the logs,
// proved against every call it made, with what it would give up. Changes nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { accountOfArn } from '../lib/domain/arn.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import { loadRunbooks } from '../lib/runbooks/catalog.ts';
import { type RefineReport, refine } from '../lib/usecases/refine.ts';
import { plural, printable, printJson, table } from './output.ts';
import { openEngine } from './runbook.ts';

export class RefineCommandError extends Error {
  override name = 'RefineCommandError';
}

interface RefineOptions {
  principal: string;
  days: number;
  end?: string;
  logs?: string;
  athena?: boolean;
  workgroup?: string;
  database?: string;
  table?: string;
  iamDir: string;
  against?: string;
  check?: boolean;
  json?: boolean;
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

const GAP_MEANING = {
  'not-allowed': 'its policies do not allow it: a permission it needs, or someone probing',
  allowed: 'its policies allow it: refused elsewhere (an SCP, a permissions boundary, a resource policy)',
  unknown: 'its current policies were not read',
} as const;

function printGaps(report: RefineReport): void {
  if (!report.gaps) return;
  if (report.gaps.length === 0) {
    console.log('\nGaps: no call was refused in the window.');
    return;
  }
  console.log(`\nGaps: ${plural(report.gaps.length, 'kind')} of call refused in the window:`);
  for (const gap of report.gaps)
    console.log(
      `  ${gap.api}${gap.action ? ` (${gap.action})` : ''} on ${printable(gap.resource ?? '(no resource named)', 160)}: ${plural(gap.calls, 'call')} from ${plural(gap.sourceIps, 'address', 'addresses')}, ${gap.firstDenied} to ${gap.lastDenied}, ${gap.errorCode}; ${GAP_MEANING[gap.currentPolicies]}`,
    );
}

function print(report: RefineReport): void {
  const { policy, proof, current } = report;
  console.log(`Refined policy for ${report.principal}, from its calls ${report.start} to ${report.end}:`);
  console.log(
    `${plural(policy.statements.length, 'statement')}; ${policy.kind} (${policy.size} of ${policy.quota} characters${
      policy.documents.length > 1 ? `, in ${policy.documents.length} managed policies` : ''
    }).\n`,
  );
  for (const statement of policy.statements) {
    const { calls, firstUsed, lastUsed, apis } = statement.justification;
    console.log(`  ${statement.Sid}: ${statement.Action.join(', ')}`);
    console.log(`    on ${statement.Resource.join(', ')}`);
    console.log(
      `    because of ${plural(calls, 'call')} from ${firstUsed} to ${lastUsed}: ${apis.join(', ')}`,
    );
    if (statement.wildcardReason) console.log(`    every resource, because ${statement.wildcardReason}`);
  }
  for (const document of policy.documents)
    console.log(`\n${document.name}:\n${JSON.stringify(document.document, null, 2)}`);
  if (policy.unmapped.length > 0) {
    console.log('\nCalls left out (no IAM action to allow):');
    for (const { api, calls, reason } of policy.unmapped)
      console.log(`  ${api} (${plural(calls, 'call')}): ${reason}`);
  }
  console.log(
    `\nProof: ${plural(proof.calls, 'call')} to ${plural(proof.resources, 'resource')} judged against ${proof.of.join(', ')}: ${
      proof.refused.length === 0
        ? 'none would be denied.'
        : `calls to ${plural(proof.refused.length, 'resource')} would be denied:`
    }`,
  );
  for (const refusal of proof.refused.slice(0, 20))
    console.log(
      `  ${refusal.api} → ${refusal.action} on ${printable(refusal.resource, 200)} (${plural(refusal.calls, 'call')}): ${
        refusal.decision.decision === 'explicit-deny'
          ? `denied by ${refusal.decision.by.policy} ${refusal.decision.by.sid}`
          : 'no statement allows it'
      }`,
    );
  if (proof.refused.length > 20)
    console.log(`  … and ${proof.refused.length - 20} more (--json lists every one)`);
  if (current === null) {
    console.log('\nWhat it gives up: not compared (its current policies were not found; see --iam-dir).');
    return;
  }
  console.log(`\nWhat it gives up, against ${current.read.join(', ') || 'no readable policy'}:`);
  if (current.unread.length > 0) console.log(`  (not read: ${current.unread.join(', ')})`);
  const rows = current.givenUp
    .slice(0, 15)
    .map((entry) => [
      entry.service,
      `${entry.allowedNow} allowed now`,
      `${entry.kept} kept`,
      entry.examples.join(', ') + (entry.allowedNow - entry.kept > entry.examples.length ? ', …' : ''),
    ]);
  if (rows.length > 0) console.log(table(rows));
  if (current.givenUp.length > 15) console.log(`  … and ${current.givenUp.length - 15} more services`);
  for (const entry of current.givenUp.filter((candidate) => candidate.widerResources.length > 0))
    console.log(`  ${entry.service}: kept actions narrowed from ${entry.widerResources.join(', ')}`);
}

export function registerRefine(program: Command): void {
  program
    .command('refine')
    .description(
      'Write the narrowest policy a role or user needs from its calls in the logs, prove it allows every one, and show what it gives up (changes nothing)',
    )
    .requiredOption('--principal <arn>', 'the role or user, by its IAM ARN', principalArn)
    .option('--days <n>', 'how far back to look', days, 90)
    .option('--end <time>', 'the end of the window (default: now)', instant)
    .option('--logs <dir>', 'CloudTrail log files in the S3 layout (AWSLogs/...), queried with DuckDB')
    .addOption(
      new Option(
        '--athena',
        'query Athena instead (AWS credentials and region from the environment)',
      ).conflicts('logs'),
    )
    .option('--workgroup <name>', 'Athena workgroup')
    .option('--database <name>', 'Athena database')
    .option('--table <name>', 'Athena CloudTrail table')
    .option(
      '--iam-dir <dir>',
      'local IAM account files, for its current policies',
      join('.local', 'demo', 'iam'),
    )
    .option('--against <file>', 'prove this policy document (JSON) instead of the refined one')
    .option('--check', 'also list the calls it was refused (gaps) beside the permissions it did not use')
    .option('--json', 'print the policy, the proof and what it gives up as JSON')
    .addHelpText(
      'after',
      `
The policy allows each action on the resources it was used on: objects by bucket and folder,
with the varying part of a key (dates, numbers, IDs) widened to *, so data/2026/01/15/x.json
gives data/*; functions, tables, secrets, parameters, queues, topics and keys by ARN. An action
IAM has no resource-level permission for is allowed on * and says so. Calls are read from
management and data events alike: without data events in the trail, object reads and writes,
invocations and item calls are missing from the policy.

--check adds the calls it was refused in the window (the access-denied runbook): a workload that
needs more, or someone probing. Unused permissions are what it gives up, above.

The proof judges the calls to every resource used (each object, function, table…) with the
policy evaluator: none denied, or each denied and why (exit status 1). --against FILE proves a policy you wrote.
`,
    )
    .action(async (options: RefineOptions) => {
      const account = accountOfArn(options.principal);
      if (!account) throw new RefineCommandError(`${options.principal} names no account`);
      const end = options.end ? new Date(options.end) : new Date();
      const start = new Date(end.getTime() - options.days * 86_400_000);
      let against: { name: string; document: string }[] | undefined;
      if (options.against) {
        if (!existsSync(options.against)) throw new RefineCommandError(`no file ${options.against}`);
        against = [{ name: options.against, document: readFileSync(options.against, 'utf8') }];
      }
      const iamFile = LocalIamAccount.pathFor(options.iamDir, account);
      const currentIam = existsSync(iamFile) ? await new LocalIamAccount(iamFile).load() : null;
      const { engine, close } = await openEngine(options);
      try {
        const report = await refine(
          {
            account,
            principal: options.principal,
            start,
            end,
            ...(against ? { against } : {}),
            ...(options.check ? { check: true } : {}),
          },
          { engine, runbooks: loadRunbooks(), currentIam },
        );
        if (options.json) printJson(report);
        else {
          print(report);
          printGaps(report);
        }
        if (report.proof.refused.length > 0) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
