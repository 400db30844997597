// `revoker jit propose`: the narrowest grant each call a principal was refused needs (that action
// on that resource), proved with the policy evaluator and judged against access.grants. It
// prints the proposal and the command a person would run; it grants nothing.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { loadRunbooks } from '../lib/runbooks/catalog.ts';
import { type JitProposalReport, type JudgedProposal, proposeJit } from '../lib/usecases/jit-propose.ts';
import { type LogWindowOptions, logWindowOf, logWindowOptions } from './log-window.ts';
import { plural, printable, printJson } from './output.ts';
import { openEngine } from './runbook.ts';

interface ProposeOptions extends LogWindowOptions {
  widen?: boolean;
  config: string;
  json?: boolean;
}

function decisionText(decision: JudgedProposal['proof']['judged'][number]['decision']): string {
  return decision.decision === 'allowed'
    ? 'allowed'
    : decision.decision === 'explicit-deny'
      ? `denied by ${decision.by.sid}`
      : 'not allowed';
}

function printProposal(proposal: JudgedProposal): void {
  const { proof, eligibility, request } = proposal;
  const errors = [...new Set(proposal.for.map(({ call }) => call.errorCode))].join(', ');
  const times = proposal.for.flatMap(({ call }) => [call.firstDenied, call.lastDenied]).sort();
  console.log(`\n  ${proposal.action} on ${printable(proposal.resource, 200)}`);
  console.log(
    `    for ${plural(proposal.calls, 'refused call')} (${printable(errors)}), ${times[0]} to ${times.at(-1)}${
      proposal.widened ? '; widened to the folder’s stable prefix' : ''
    }`,
  );
  if (proposal.wildcardReason) console.log(`    every resource, because ${proposal.wildcardReason}`);
  console.log(`    document: ${printable(JSON.stringify(proposal.document), 2000)}`);
  const allowedCalls = proof.judged
    .filter(({ decision }) => decision.decision === 'allowed')
    .reduce((total, { calls }) => total + calls, 0);
  console.log(
    `    proof: ${proof.holds ? 'holds' : 'DOES NOT HOLD'} — the evaluator allows ${allowedCalls} of the ${plural(
      proposal.calls,
      'refused call',
    )} (${plural(proof.judged.length, 'request')} judged)${
      proof.neighbour
        ? ` and ${proof.neighbour.decision.decision === 'allowed' ? 'ALLOWS' : 'refuses'} a neighbour, ${printable(proof.neighbour.request.resource, 200)}`
        : ''
    }`,
  );
  for (const { request, decision } of proof.judged.filter((judged) => judged.decision.decision !== 'allowed'))
    console.log(`      ${request.action} on ${printable(request.resource, 200)}: ${decisionText(decision)}`);
  console.log(`    eligibility (${eligibility.verdict}): ${eligibility.reason}`);
  if (eligibility.verdict === 'within')
    for (const covering of eligibility.coveredBy)
      console.log(
        `      ${covering.policy}: ${covering.rule}, at most ${covering.maxDuration}, ${
          covering.approvers
            ? `approved by ${covering.approvers}`
            : 'no approval, only to the asker’s own principal'
        }`,
      );
  if (eligibility.verdict === 'unknown') console.log(`      not known: ${eligibility.unknown.join(', ')}`);
  console.log(`    to request: ${request.note}`);
  if (request.command) console.log(`      ${request.command}`);
}

function print(report: JitProposalReport): void {
  console.log(
    `Narrow grants for ${report.principal}, from the calls it was refused ${report.start} to ${report.end}:`,
  );
  console.log(
    `${plural(report.refused, 'kind')} of refused call; ${plural(report.proposals.length, 'proposal')}, ${plural(
      report.unproposed.length,
      'left without one',
      'left without one',
    )}.`,
  );
  for (const proposal of report.proposals) printProposal(proposal);
  if (report.unproposed.length > 0) {
    console.log('\nNo grant proposed:');
    for (const { call, reason } of report.unproposed) {
      const named = call.bucket
        ? `${call.bucket}/${call.objectKey ?? ''}`
        : (call.name ?? '(no resource named)');
      console.log(
        `  ${call.eventSource} ${call.eventName} on ${printable(named, 200)} (${plural(call.calls, 'call')}): ${reason}`,
      );
    }
  }
  console.log('\nNothing was granted: a proposal is for a person to ask for, through `revoker jit request`.');
}

export function registerJitPropose(jit: Command): void {
  logWindowOptions(
    jit
      .command('propose')
      .description(
        'For the calls a role or user was refused, the narrowest grant each needs (that action on that resource), proved and judged against access.grants (grants nothing)',
      ),
    7,
    'its policies and the eligible policies’ documents',
  )
    .option('--widen', 'objects: the folder’s stable prefix (data/*) instead of the exact object')
    .option(
      '--config <file>',
      'the configuration, for access.grants and the guard rails',
      DEFAULT_CONFIG_FILE,
    )
    .option('--json', 'print the proposals, proofs and verdicts as JSON')
    .addHelpText(
      'after',
      `
Each refused call (the access-denied runbook) gets a policy document allowing that IAM action on
that resource only, built from IAM's ARN formats: an object by its own ARN (--widen: its
folder's stable prefix), a table, function, secret… by its ARN, and * only for an action IAM has
no resource-level permission for. Names in a refused call are the caller's: one holding * or ?
(wildcards in a Resource) or \${ (a policy variable) gets no proposal.

The proof: the policy evaluator allows every refused call the document is for, and not a
neighbouring resource. Eligibility: the managed policies access.grants lets anyone ask for on
the principal; the document is within them when one whose document the local IAM account holds
allows it. \`revoker jit request\` attaches managed policies only: the command printed asks for
the nearest eligible one, which allows more.
`,
    )
    .action(async (options: ProposeOptions) => {
      const config = await loadConfigFile(options.config);
      const { window, iam } = await logWindowOf(options);
      const { engine, close } = await openEngine(options);
      try {
        const report = await proposeJit(
          { ...window, ...(options.widen ? { widen: true } : {}) },
          { engine, runbooks: loadRunbooks(), config, iam },
        );
        if (options.json) printJson(report);
        else print(report);
        if (report.proposals.some((proposal) => !proposal.proof.holds)) process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
