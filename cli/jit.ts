// `revoker jit request | approve | requests | list | expire-due | propose`: just-in-time access. A grant
// is asked for and approved through the operator API, as the identity AWS verified (`--deployed
// local` runs it over the demo's files); it attaches a managed policy and schedules its end.
// `expire-due` delivers the ends that are due (EventBridge Scheduler does that in AWS) through
// the local pipeline, as the scheduled event would: the policy goes unless another live grant
// gives it, and so do the sessions the grant let the principal open. `propose` reads the calls a
// principal was refused and prints the narrowest grant each needs, proved and judged against
// access.grants; it grants nothing.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { accountOfArn } from '../lib/domain/arn.ts';
import { type Case, executionNameOf } from '../lib/domain/case.ts';
import { GrantExpiryEventSchema, type GrantRequestRecord, GrantRequestSchema } from '../lib/domain/jit.ts';
import { toInstant } from '../lib/domain/time.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import { openLocalPipeline } from '../lib/local/pipeline.ts';
import { FileScheduler } from '../lib/local/scheduler.ts';
import { StderrTelemetry } from '../lib/local/stderr-telemetry.ts';
import type { DetectOutcome } from '../lib/usecases/detect.ts';
import { GrantRefusedError, grantOf, listGrants } from '../lib/usecases/jit.ts';
import { APPROVAL_KEYS_FILE, signingKeysIn } from './approvals.ts';
import { caseTimeline, requireCaseDirectory } from './cases.ts';
import { InputError } from './exit-codes.ts';
import { registerJitPropose } from './jit-propose.ts';
import { callOperator, DEPLOYED_OPTION } from './operator.ts';
import { printable, printJson, table } from './output.ts';

const DEMO = join('.local', 'demo');

/** A request in words: where it stands, and what comes next. */
function describeRequest(request: GrantRequestRecord): string {
  const what = `${request.policyArn} on ${request.principalArn} for ${request.seconds / 60} minutes`;
  switch (request.status) {
    case 'pending':
      return `Requested ${what}: ${request.requestId}, waiting for a member of ${request.approvers} other than you (revoker jit approve ${request.requestId}).`;
    case 'approved':
      return `Approved ${what}: ${request.requestId}, being granted.`;
    case 'granted':
      return `Granted ${what}: grant ${request.grantId} (request ${request.requestId}); its end is scheduled.`;
    case 'dry-run':
      return `Dry-run mode: ${what} was allowed and recorded (${request.requestId}); nothing was attached.`;
    case 'refused':
      return `Refused ${what} (${request.requestId}): ${request.refusal}`;
  }
}

function localAccount(iamDir: string, principalArn: string): LocalIamAccount {
  const accountId = accountOfArn(principalArn) ?? '';
  const file = LocalIamAccount.pathFor(iamDir, accountId);
  if (!existsSync(file))
    throw new GrantRefusedError(
      `no local IAM account ${accountId} in ${iamDir}; run \`revoker demo\` or point --iam-dir at one`,
    );
  return new LocalIamAccount(file);
}

export function registerJit(program: Command): void {
  const jit = program.command('jit').description('Just-in-time access: grants that end by themselves');

  const target = (options: { deployed: string; dir: string; config: string }) => ({
    deployed: options.deployed,
    dir: options.dir,
    config: options.config,
  });
  const operatorOptions = (command: Command) =>
    command
      .requiredOption(...DEPLOYED_OPTION)
      .option('--dir <dir>', 'with --deployed local: the demo’s directory', DEMO)
      .option('--config <file>', 'with --deployed local: the configuration file', DEFAULT_CONFIG_FILE)
      .option('--json', 'print the request as JSON');

  operatorOptions(
    jit
      .command('request')
      .description(
        'Ask for a managed policy on a role or user for a while, as you (your verified identity): granted at once when access.grants allows it without approval, else it waits for an approver',
      )
      .requiredOption('--principal <arn>', 'the role or user ARN')
      .requiredOption('--policy <arn>', 'the managed policy ARN')
      .requiredOption('--for <duration>', 'how long: 90m, 2h, 1d (at most what your grant rule allows)')
      .requiredOption('--reason <text>', 'why, recorded on the request')
      .option('--region <region>', 'the region whose logs verification reads first', 'us-east-1'),
  ).action(
    async (options: {
      principal: string;
      policy: string;
      for: string;
      reason: string;
      region: string;
      deployed: string;
      dir: string;
      config: string;
      json?: boolean;
    }) => {
      const request = GrantRequestSchema.parse(
        await callOperator(target(options), 'POST', 'grants', {
          principalArn: options.principal,
          policyArn: options.policy,
          duration: options.for,
          reason: options.reason,
          region: options.region,
        }),
      );
      if (options.json) return printJson(request);
      console.log(describeRequest(request));
    },
  );

  operatorOptions(
    jit
      .command('approve')
      .description('Approve a grant request someone else made, as you (a member of its approver group)')
      .argument('<request>', 'the request ID (req-…)'),
  ).action(
    async (requestId: string, options: { deployed: string; dir: string; config: string; json?: boolean }) => {
      const request = GrantRequestSchema.parse(
        await callOperator(target(options), 'POST', `grants/${requestId}/approve`),
      );
      if (options.json) return printJson(request);
      console.log(describeRequest(request));
    },
  );

  operatorOptions(
    jit
      .command('requests')
      .description('The grant requests of the last days: who asked, for what, and where each stands')
      .option('--days <n>', 'how many days back (at most 90)', '7'),
  ).action(
    async (options: { deployed: string; dir: string; config: string; json?: boolean; days: string }) => {
      const answer = z
        .object({
          requests: z.array(GrantRequestSchema),
          unreadable: z.array(z.object({ requestId: z.string(), error: z.string() })),
        })
        .parse(await callOperator(target(options), 'GET', `grants?days=${encodeURIComponent(options.days)}`));
      const { requests, unreadable } = answer;
      // A record this version cannot read is named on stderr; the readable ones are listed.
      for (const { error } of unreadable) console.error(`revoker: ${printable(error)}`);
      if (options.json) return printJson(requests);
      if (requests.length === 0) return console.log('no grant requests');
      console.log(
        table([
          ['request', 'asked', 'by', 'policy', 'principal', 'status'],
          ...requests.map((request) => [
            request.requestId,
            request.requestedAt,
            printable(request.requestedBy),
            request.policyArn,
            request.principalArn,
            request.status,
          ]),
        ]),
      );
    },
  );

  jit
    .command('list')
    .description('Every grant: principal, policy, until when, and whether its case is still open')
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--json', 'print the grants as JSON, each with whether its case is open')
    .action(async (options: { cases: string; json?: boolean }, command: Command) => {
      requireCaseDirectory(command);
      const grants = (await listGrants(new FileCaseStore(options.cases))).sort((a, b) =>
        a.grant.expiresAt < b.grant.expiresAt ? -1 : 1,
      );
      if (options.json) return printJson(grants);
      if (grants.length === 0) return console.log(`no grants in ${options.cases}`);
      console.log(
        table([
          ['grant', 'principal', 'policy', 'until', 'state'],
          ...grants.map(({ grant, open }) => [
            grant.grantId,
            grant.principalArn,
            grant.policyArn,
            grant.expiresAt,
            open ? 'open' : 'ended',
          ]),
        ]),
      );
    });

  jit
    .command('expire-due')
    .description('Deliver the grant ends that are due through the local pipeline, and print each case')
    .option('--at <time>', 'the time to deliver for (default: now)')
    .option('--logs <dir>', 'CloudTrail log files (DuckDB)', join(DEMO, 'logs'))
    .option('--iam-dir <dir>', 'local IAM account files', join(DEMO, 'iam'))
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--schedules <dir>', 'scheduled grant ends', join(DEMO, 'schedules'))
    .option('--callbacks <dir>', 'task tokens of cases waiting for an approver', join(DEMO, 'callbacks'))
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--verbose', 'print each step’s case events on stderr, as the deployed functions log them')
    .option('--json', 'print the case records of the grants ended, as JSON')
    .action(
      async (options: {
        json?: boolean;
        at?: string;
        logs: string;
        iamDir: string;
        cases: string;
        schedules: string;
        callbacks: string;
        config: string;
        verbose?: boolean;
      }) => {
        const at = options.at ? new Date(options.at) : new Date();
        if (Number.isNaN(at.getTime())) throw new InputError(`--at ${options.at} is not a time`);
        const scheduler = new FileScheduler(options.schedules);
        const due = await scheduler.due(at);
        const ended: Case[] = [];
        if (due.length === 0)
          return options.json ? printJson(ended) : console.log(`no grant ends are due at ${toInstant(at)}`);
        const state = dirname(options.cases);
        const cases = new FileCaseStore(options.cases);
        for (const { name, event } of due) {
          const ending = GrantExpiryEventSchema.safeParse(event);
          const record = ending.success ? await cases.get(ending.data.detail.grantId) : null;
          const grant = record ? grantOf(record) : null;
          if (!grant) throw new GrantRefusedError(`${name}: the schedule names no recorded grant`);
          const pipeline = await openLocalPipeline({
            logs: options.logs,
            iamAccountFile: localAccount(options.iamDir, grant.principalArn).file,
            casesDirectory: options.cases,
            callbacksDirectory: options.callbacks,
            notificationsFile: join(state, 'notifications.jsonl'),
            deadLettersFile: join(state, 'dead-letters.jsonl'),
            signingKeys: await signingKeysIn(join(state, APPROVAL_KEYS_FILE)),
            config: await loadConfigFile(options.config),
            clock: { now: () => (options.at ? at : new Date()) },
            ...(options.verbose ? { telemetry: new StderrTelemetry() } : {}),
          });
          try {
            const [outcome] = (await pipeline.detect(event)) as DetectOutcome[];
            if (outcome?.status === 'rejected') throw new GrantRefusedError(`${name}: ${outcome.reason}`);
            await pipeline.workflow.executions.get(executionNameOf(grant.grantId))?.output;
            const closed = await pipeline.cases.get(grant.grantId);
            if (closed) ended.push(closed);
            if (closed && !options.json) console.log(`${caseTimeline(closed).join('\n')}\n`);
            await scheduler.delivered(name);
          } finally {
            await pipeline.close();
          }
        }
        if (options.json) printJson(ended);
      },
    );
  registerJitPropose(jit);
}
