// `revoker demo`: a compromised EC2 instance role, end to end on the embedded default.
// Generates an account's logs with the attack in them, replays the attack through detect as
// EventBridge would deliver it, runs the real state machine locally, and lets simulated time
// pass between verification attempts while new logs arrive: background traffic plus the
// attacker retrying with the stolen session, each call judged by the local IAM account.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { createApprovalHandler } from '../functions/approval/handler.ts';
import type { Config } from '../lib/domain/config.ts';
import { envelopeFor } from '../lib/domain/envelope.ts';
import { matchesEventPattern } from '../lib/domain/event-pattern.ts';
import { RULES } from '../lib/domain/rules.ts';
import { toInstant, toPartitionDay } from '../lib/domain/time.ts';
import { principalArnOf } from '../lib/domain/trigger.ts';
import { type ApprovalServer, serveApprovals } from '../lib/local/approval-server.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/local/config-file.ts';
import { logFileFromPath } from '../lib/local/duckdb-engine.ts';
import { generate, writeCalls } from '../lib/local/generator/generate.ts';
import { LogWriter } from '../lib/local/generator/log-writer.ts';
import { Random } from '../lib/local/generator/random.ts';
import { type ScenarioTruth, stolenSessionRetries } from '../lib/local/generator/scenarios.ts';
import type { Account } from '../lib/local/generator/world.ts';
import { authorizerFor, initialAccountState, LocalIamAccount } from '../lib/local/iam-account.ts';
import { openLocalPipeline, SimulatedClock } from '../lib/local/pipeline.ts';
import { listFiles, readRecordFiles } from '../lib/local/record-files.ts';
import { answerEscalation } from '../lib/usecases/answer-escalation.ts';
import type { DetectOutcome } from '../lib/usecases/detect.ts';
import { APPROVAL_SECRET_FILE, approvalSecretIn } from './approvals.ts';

/** S3 delivery lag the demo's world simulates: logs reach S3 this long after the calls. */
const DELIVERY_LAG_SECONDS = 180;

export interface DemoResult {
  caseId: string;
  outcome: string;
  path: string[];
  iamAccountFile: string;
  policyName: string | null;
  caseFile: string;
}

export interface DemoOptions {
  directory: string;
  config: Config;
  /** When the demo's story happens; defaults to now. */
  now?: Date;
  events?: number;
  print?: (line: string) => void;
  /**
   * What the demo's on-call engineer does when paged: approve or reject (as `revoker approve`
   * and `revoker reject` do), nothing (so the escalation times out), or — given a function —
   * whatever it does with the approval page, served on 127.0.0.1 while the case waits.
   */
  onCall?: 'approve' | 'reject' | 'nobody' | ((page: { caseId: string; pageUrl: string }) => Promise<void>);
}

/** How long the demo's on-call takes to look at the evidence before answering. */
const ON_CALL_RESPONSE_SECONDS = 240;

/** The world after the revocation: the app keeps working on fresh credentials, the attacker keeps trying. */
class DemoWorld {
  private delivered: Date;
  private delivery = 0;

  constructor(
    private readonly logs: string,
    private readonly account: Account,
    private readonly truth: ScenarioTruth,
    private readonly iamAccountFile: string,
    private readonly clock: SimulatedClock,
    private readonly random: Random,
    generatedUntil: Date,
  ) {
    this.delivered = generatedUntil;
  }

  /** Let `seconds` pass and deliver the logs that S3 would hold by then. */
  advance(seconds: number, cutoff: Date): void {
    this.clock.advance(seconds);
    const until = new Date(this.clock.now().getTime() - DELIVERY_LAG_SECONDS * 1000);
    if (until <= this.delivered) return;
    const writer = new LogWriter(this.logs, `delivery-${++this.delivery}`);
    writeCalls(
      writer,
      this.random,
      [this.account],
      this.delivered,
      until,
      Math.round((until.getTime() - this.delivered.getTime()) / 4000),
      {
        authorizer: authorizerFor(this.iamAccountFile),
        extra: stolenSessionRetries(this.account, this.truth, this.delivered, until),
        instanceReissuedAt: cutoff,
      },
    );
    this.delivered = until;
  }
}

/** Marks a directory as the demo's own, so a re-run may replace it and nothing else. */
const DEMO_MARKER = '.revoker-demo';

export class DemoDirectoryError extends Error {
  override name = 'DemoDirectoryError';
}

/** Replace a previous demo's directory; refuse to touch one the demo did not create. */
async function prepareDemoDirectory(directory: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
    throw new DemoDirectoryError(
      `refusing to replace ${directory}: it is not empty and was not made by revoker demo; choose another --dir`,
    );
  }
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  await writeFile(
    join(directory, DEMO_MARKER),
    'Made by `revoker demo`, which replaces this directory on each run.\n',
  );
}

function clockTime(iso: string): string {
  return iso.slice(11, 19);
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const directory = resolve(options.directory);
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const logs = join(directory, 'logs');
  await prepareDemoDirectory(directory);

  // 1. An account with two days of history and the attack in its last minutes.
  const generated = generate({
    out: logs,
    days: 2,
    events: options.events ?? 20_000,
    accounts: 1,
    seed: 'revoker-demo',
    scenarios: ['compromised-role-session'],
    end: now,
    // The attack takes about 12 minutes and is over by the time it is detected.
    attackLeadMinutes: 15,
  });
  const account = generated.accounts[0]!;
  const truth = generated.scenarios[0]!;
  const iamAccountFile = LocalIamAccount.pathFor(join(directory, 'iam'), account.id);
  await new LocalIamAccount(iamAccountFile).save(initialAccountState(account));
  print(`revoker demo: a stolen EC2 instance role, end to end on the embedded default (no AWS)\n`);
  print(
    `Generated ${generated.records.toLocaleString('en-US')} CloudTrail events over 2 days for account ${account.id}`,
  );
  print(`  logs:        ${relative(process.cwd(), logs)}/AWSLogs/...`);
  print(`  IAM account: ${relative(process.cwd(), iamAccountFile)}`);
  print(
    `  attack:      ${truth.roleArn} session ${truth.sessionName}, used from ${truth.attackerIp} from ${clockTime(truth.startedAt)}\n`,
  );

  // 2. The pipeline, with the world moving on while the state machine waits for logs.
  const clock = new SimulatedClock(now);
  const world = new DemoWorld(
    logs,
    account,
    truth,
    iamAccountFile,
    clock,
    new Random('revoker-demo-world'),
    now,
  );
  // A fresh secret each run, kept beside the cases for `revoker approvals serve`.
  const approvalSecret = await approvalSecretIn(join(directory, APPROVAL_SECRET_FILE), true);
  const pipeline = await openLocalPipeline({
    logs,
    iamAccountFile,
    casesDirectory: join(directory, 'cases'),
    callbacksDirectory: join(directory, 'callbacks'),
    notificationsFile: join(directory, 'notifications.jsonl'),
    approvalSecret,
    config: options.config,
    clock,
    print: (line) => print(`          ${line}`),
    around: {
      escalate: (run) => async (event) => {
        const page = await run(event);
        void answerPage(event as { caseId: string; settings: { approvalTimeoutSeconds: number } });
        return page;
      },
      verify: (run) => async (event) => {
        const input = event as {
          revocation: { cutoff: string };
          settings: { logDeliveryWaitSeconds: number };
        };
        world.advance(input.settings.logDeliveryWaitSeconds, new Date(input.revocation.cutoff));
        return run(event);
      },
    },
  });
  // The on-call answers a page the way an engineer with credentials would: `revoker approve`.
  const onCall = options.onCall ?? 'approve';
  const approver = options.config.escalation.approvers[0]!;
  let approvalServer: ApprovalServer | null = null;
  const answerPage = async (page: { caseId: string; settings: { approvalTimeoutSeconds: number } }) => {
    if (typeof onCall === 'function') {
      approvalServer ??= await serveApprovals(
        createApprovalHandler({
          cases: pipeline.cases,
          callbacks: pipeline.callbacks,
          clock,
          approvalSecret,
        }),
        0,
      );
      const sent = pipeline.notifier.sent.findLast(
        (notification) => notification.caseId === page.caseId && notification.kind === 'approval-requested',
      );
      const link = new URL(sent!.links[0]!.url).searchParams.get('link')!;
      await onCall({
        caseId: page.caseId,
        pageUrl: `${approvalServer.url}?link=${encodeURIComponent(link)}`,
      });
      return;
    }
    if (onCall === 'nobody') {
      print(`          nobody answers the page`);
      clock.advance(page.settings.approvalTimeoutSeconds);
      return;
    }
    clock.advance(ON_CALL_RESPONSE_SECONDS);
    const answers = { cases: pipeline.cases, callbacks: pipeline.callbacks, clock };
    const common = { caseId: page.caseId, approver, via: 'cli' as const };
    await answerEscalation({ ...common, answer: 'acknowledge' }, answers);
    await answerEscalation(
      onCall === 'approve'
        ? { ...common, answer: 'approve', reason: 'the evidence shows a stolen session' }
        : { ...common, answer: 'reject', reason: 'a planned penetration test' },
      answers,
    );
  };
  try {
    // 3. EventBridge delivers the recent IAM calls that match a rule's pattern to detect.
    const since = new Date(now.getTime() - 15 * 60_000);
    const recentFiles = (await listFiles([logs])).filter(
      (file) => (logFileFromPath(file)?.timestamp ?? '') >= toPartitionDay(since),
    );
    const outcomes: DetectOutcome[] = [];
    for await (const entry of readRecordFiles(recentFiles)) {
      if (entry.kind !== 'parsed' || entry.record.eventTime < toInstant(since)) continue;
      const envelope = envelopeFor(entry.record, `demo-${outcomes.length}`);
      if (!RULES.some((rule) => matchesEventPattern(rule.eventPattern, envelope))) continue;
      outcomes.push(...((await pipeline.detect(envelope)) as DetectOutcome[]));
    }
    const started = outcomes.filter((outcome) => outcome.status === 'started');
    const duplicates = outcomes.filter((outcome) => outcome.status === 'already-open').length;
    print(
      `${clockTime(toInstant(now))}  detect   ${outcomes.length} calls delivered by EventBridge (the rules' patterns): ${started.length} case opened, ${duplicates} more calls by the same credentials joined it, ${outcomes.length - started.length - duplicates} matched no rule`,
    );
    const first = started[0];
    if (first?.status !== 'started')
      throw new Error('the demo attack did not open a case: the detection rule missed it');
    print(
      `          rule ${first.ruleId} fired on ${first.trigger.eventName} by ${principalArnOf(first.trigger.target)} from ${first.trigger.sourceIp}`,
    );

    // 4. Run the case through the state machine and print its timeline.
    const execution = pipeline.workflow.executions.get(first.executionName)!;
    await execution.output;
    const record = await pipeline.cases.get(first.trigger.triggerId);
    if (!record) throw new Error('the case was not recorded');
    for (const entry of record.audit)
      print(`${clockTime(entry.at)}  ${entry.step.padEnd(8)} ${entry.summary}`);
    const path = execution.history
      .filter((event) => event.type === 'StateEntered')
      .map((event) => event.state!);
    print(
      `\nState machine path (${path.length} states, from statemachines/revocation.asl.json):\n  ${path.join(' → ')}`,
    );

    const iamState = await new LocalIamAccount(iamAccountFile).load();
    const role = Object.entries(iamState.roles).find(([, candidate]) => candidate.arn === truth.roleArn);
    const policyName = role
      ? (Object.keys(role[1].inlinePolicies).find((name) => name.startsWith('revoker-')) ?? null)
      : null;
    const caseFile = join(directory, 'cases', `${record.caseId}.json`);
    if (policyName && role) {
      print(
        `\nDeny policy written to role ${role[0]} in ${relative(process.cwd(), iamAccountFile)} (inline policy ${policyName}):`,
      );
      print(`  ${role[1].inlinePolicies[policyName]}`);
    }
    print(`Case record: ${relative(process.cwd(), caseFile)}`);
    print(`\nOutcome: ${record.outcome}`);
    return {
      caseId: record.caseId,
      outcome: record.outcome ?? 'open',
      path,
      iamAccountFile,
      policyName,
      caseFile,
    };
  } finally {
    await (approvalServer as ApprovalServer | null)?.close();
    await pipeline.close();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run a compromised-role case end to end on the embedded default: detect, confirm, revoke, verify',
    )
    .option('--dir <dir>', 'working directory (replaced on each run)', '.local/demo')
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .action(async (options: { dir: string; config: string }) => {
      const config = await loadConfigFile(options.config);
      const result = await runDemo({ directory: options.dir, config });
      if (result.outcome !== 'contained') process.exitCode = 1;
    });
}
