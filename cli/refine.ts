// `revoker refine`: the narrowest policy a role or user needs, from what it did in the logs,
// proved against every call it made, with what it would give up. Changes nothing.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadRunbooks } from '../lib/runbooks/catalog.ts';
import { type RefineReport, refine } from '../lib/usecases/refine.ts';
import { InputError } from './exit-codes.ts';
import { type LogWindowOptions, logWindowOf, logWindowOptions } from './log-window.ts';
import { plural, printable, printJson, table } from './output.ts';
import { openEngine } from './runbook.ts';

export class RefineCommandError extends InputError {
  override name = 'RefineCommandError';
}

interface RefineOptions extends LogWindowOptions {
  against?: string;
  check?: boolean;
  json?: boolean;
}

const GAP_MEANING = {
  'not-allowed': 'its policies do not allow it: a permission it needs, or someone probing',
  allowed: 'its policies allow it: refused elsewhere (an SCP, a permissions boundary, a resource policy)',
  unknown: 'its current policies were not read',
  revoked: 'refused by the deny a revocation put on it (revoker-revocation): the revocation working',
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

function print(report: RefineReport, against: string | undefined): void {
  const { policy, proof, current } = report;
  if (proof.calls === 0 && policy.statements.length === 0) {
    console.log(
      `No successful call by ${report.principal} from ${report.start} to ${report.end} in these logs: nothing to refine from (check the ARN, path included, --logs, --days and --end).`,
    );
    return;
  }
  if (against)
    console.log(
      `Proving ${against} against the calls of ${report.principal}; the refined policy, for comparison:\n`,
    );
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
    console.log(
      '\nWhat it gives up: not compared (its current policies were not found: --iam-dir names local IAM account files, as revoker demo and revoker generate --iam-dir write them).',
    );
    return;
  }
  if (current.wider.length > 0)
    console.log(
      `\nAllows what its current policies do not (so it would never be applied): ${current.wider
        .map((entry) => `${entry.action} on ${entry.resource}`)
        .join('; ')}`,
    );
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
  logWindowOptions(
    program
      .command('refine')
      .description(
        'Write the narrowest policy a role or user needs from its calls in the logs, prove it allows every one, and show what it gives up (changes nothing)',
      ),
    90,
    'its current policies',
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
      let against: { name: string; document: string }[] | undefined;
      if (options.against) {
        if (!existsSync(options.against)) throw new RefineCommandError(`no file ${options.against}`);
        against = [{ name: options.against, document: readFileSync(options.against, 'utf8') }];
      }
      const { window, iam } = await logWindowOf(options);
      const { engine, close } = await openEngine(options);
      try {
        const report = await refine(
          {
            ...window,
            ...(against ? { against } : {}),
            ...(options.check ? { check: true } : {}),
          },
          { engine, runbooks: loadRunbooks(), currentIam: iam },
        );
        if (options.json) printJson(report);
        else {
          print(report, options.against);
          printGaps(report);
        }
        if (report.proof.refused.length > 0) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
