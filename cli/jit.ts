// `revoker jit grant | list | expire-due`: just-in-time access on the local account. A grant
// attaches a managed policy and schedules its end; `expire-due` delivers the ends that are
// due (EventBridge Scheduler does that in AWS) through the local pipeline, as the scheduled
// event would: the policy goes unless another live grant gives it, and so do the sessions the
// grant let the principal open.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { executionNameOf } from '../lib/domain/case.ts';
import { GrantExpiryEventSchema } from '../lib/domain/jit.ts';
import { Duration, durationSeconds, toInstant } from '../lib/domain/time.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/local/config-file.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import { openLocalPipeline } from '../lib/local/pipeline.ts';
import { FileScheduler } from '../lib/local/scheduler.ts';
import type { DetectOutcome } from '../lib/usecases/detect.ts';
import { GrantRefusedError, grantAccess, grantOf, listGrants } from '../lib/usecases/jit.ts';
import { APPROVAL_SECRET_FILE, approvalSecretIn } from './approvals.ts';
import { caseTimeline } from './cases.ts';
import { table } from './output.ts';

const DEMO = join('.local', 'demo');

function localAccount(iamDir: string, principalArn: string): LocalIamAccount {
  const accountId = principalArn.split(':')[4] ?? '';
  const file = LocalIamAccount.pathFor(iamDir, accountId);
  if (!existsSync(file))
    throw new GrantRefusedError(
      `no local IAM account ${accountId} in ${iamDir}; run \`revoker demo\` or point --iam-dir at one`,
    );
  return new LocalIamAccount(file);
}

export function registerJit(program: Command): void {
  const jit = program.command('jit').description('Just-in-time access: grants that end by themselves');

  jit
    .command('grant')
    .description('Attach a managed policy to a role or user until a time, and schedule the end')
    .requiredOption('--principal <arn>', 'the role or user ARN')
    .requiredOption('--policy <arn>', 'the managed policy ARN')
    .requiredOption('--for <duration>', 'how long: 90m, 2h, 1d (at most 7d)')
    .option('--reason <text>', 'why, recorded on the grant', '')
    .option('--requested-by <who>', 'who asks, recorded on the grant', userInfo().username || 'operator')
    .option('--region <region>', 'the region whose logs verification reads first', 'us-east-1')
    .option('--iam-dir <dir>', 'local IAM account files', join(DEMO, 'iam'))
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .option('--schedules <dir>', 'scheduled grant ends', join(DEMO, 'schedules'))
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .action(
      async (options: {
        config: string;
        principal: string;
        policy: string;
        for: string;
        reason: string;
        requestedBy: string;
        region: string;
        iamDir: string;
        cases: string;
        schedules: string;
      }) => {
        const duration = Duration.safeParse(options.for);
        if (!duration.success)
          throw new GrantRefusedError(`--for ${options.for}: ${duration.error.issues[0]?.message}`);
        const grant = await grantAccess(
          {
            principalArn: options.principal,
            policyArn: options.policy,
            seconds: durationSeconds(duration.data),
            requestedBy: options.requestedBy,
            reason: options.reason,
            region: options.region,
          },
          {
            iam: localAccount(options.iamDir, options.principal),
            cases: new FileCaseStore(options.cases),
            clock: { now: () => new Date() },
            config: await loadConfigFile(options.config),
            scheduler: new FileScheduler(options.schedules),
          },
        );
        console.log(
          `Granted ${grant.policyArn} to ${grant.principalArn} until ${grant.expiresAt}: grant ${grant.grantId}${grant.heldBefore ? ' (already held outside any grant: its end will not detach it)' : ''}.`,
        );
        console.log(`Its end is scheduled; locally, \`revoker jit expire-due\` delivers it once it is due.`);
      },
    );

  jit
    .command('list')
    .description('Every grant: principal, policy, until when, and whether its case is still open')
    .option('--cases <dir>', 'case records', join(DEMO, 'cases'))
    .action(async (options: { cases: string }) => {
      const grants = await listGrants(new FileCaseStore(options.cases));
      if (grants.length === 0) return console.log(`no grants in ${options.cases}`);
      console.log(
        table([
          ['grant', 'principal', 'policy', 'until', 'state'],
          ...grants
            .sort((a, b) => (a.grant.expiresAt < b.grant.expiresAt ? -1 : 1))
            .map(({ grant, open }) => [
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
    .action(
      async (options: {
        at?: string;
        logs: string;
        iamDir: string;
        cases: string;
        schedules: string;
        callbacks: string;
        config: string;
      }) => {
        const at = options.at ? new Date(options.at) : new Date();
        if (Number.isNaN(at.getTime())) throw new GrantRefusedError(`--at ${options.at} is not a time`);
        const scheduler = new FileScheduler(options.schedules);
        const due = await scheduler.due(at);
        if (due.length === 0) return console.log(`no grant ends are due at ${toInstant(at)}`);
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
            approvalSecret: await approvalSecretIn(join(state, APPROVAL_SECRET_FILE)),
            config: await loadConfigFile(options.config),
            clock: { now: () => (options.at ? at : new Date()) },
          });
          try {
            const [outcome] = (await pipeline.detect(event)) as DetectOutcome[];
            if (outcome?.status === 'rejected') throw new GrantRefusedError(`${name}: ${outcome.reason}`);
            await pipeline.workflow.executions.get(executionNameOf(grant.grantId))?.output;
            const ended = await pipeline.cases.get(grant.grantId);
            if (ended) console.log(`${caseTimeline(ended).join('\n')}\n`);
            await scheduler.delivered(name);
          } finally {
            await pipeline.close();
          }
        }
      },
    );
}
