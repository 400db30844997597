// `revoker demo`: three cases end to end on the embedded default, one after another.
//   1. Automatic containment: an EC2 instance role's stolen session is detected, confirmed
//      from its history, revoked, and verified from the logs.
//   2. Escalation: the attacker returns with the backdoor user it created and stops the trail;
//      the rule asks a human, the on-call approves, and the user is revoked and verified.
//   3. Offboarding: a person leaves; the HR system asks through the operator API, as its role
//      in access.offboarders, and everything they hold is revoked, verified too.
// Each runs through the real state machine locally; simulated time passes while it waits for
// log delivery, and the world moves on: background traffic and the attacker's retries, each
// call judged by the local IAM account, land in the logs verification reads.

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { callerOf } from '../lib/domain/access.ts';
import { executionNameOf } from '../lib/domain/case.ts';
import type { Config } from '../lib/domain/config.ts';
import { envelopeFor } from '../lib/domain/envelope.ts';
import { matchesEventPattern } from '../lib/domain/event-pattern.ts';
import { RULES } from '../lib/domain/rules.ts';
import { toInstant, toPartitionDay } from '../lib/domain/time.ts';
import { principalArnOf } from '../lib/domain/trigger.ts';
import { createApprovalHandler } from '../lib/handlers/approval.ts';
import { type ApprovalServer, serveApprovals } from '../lib/local/approval-server.ts';
import { FileAuditLog } from '../lib/local/audit-log.ts';
import { logFileFromPath } from '../lib/local/duckdb-engine.ts';
import { generate, writeCalls } from '../lib/local/generator/generate.ts';
import { heartbeatCalls } from '../lib/local/generator/heartbeat.ts';
import { LogWriter } from '../lib/local/generator/log-writer.ts';
import { Random } from '../lib/local/generator/random.ts';
import {
  backdoorPerson,
  backdoorRetries,
  backdoorReturns,
  type ScenarioTruth,
  stolenSessionRetries,
} from '../lib/local/generator/scenarios.ts';
import { type Account, type Call, toRecord } from '../lib/local/generator/world.ts';
import { localGrantGuardArn } from '../lib/local/grant-guard.ts';
import { authorizerFor, initialAccountState, LocalIamAccount } from '../lib/local/iam-account.ts';
import { type LocalPipeline, openLocalPipeline, SimulatedClock } from '../lib/local/pipeline.ts';
import { listFiles, readRecordFiles } from '../lib/local/record-files.ts';
import { FileScheduler } from '../lib/local/scheduler.ts';
import type { LocalFunction } from '../lib/local/state-machine.ts';
import { StderrTelemetry } from '../lib/local/stderr-telemetry.ts';
import { AccountNotEnrolledError, type Telemetry } from '../lib/ports.ts';
import { loadRunbooks } from '../lib/runbooks/catalog.ts';
import { answerEscalation } from '../lib/usecases/answer-escalation.ts';
import { requireCase } from '../lib/usecases/cases.ts';
import type { DetectOutcome } from '../lib/usecases/detect.ts';
import { offboardAs } from '../lib/usecases/operator.ts';
import { APPROVAL_KEYS_FILE, signingKeysIn } from './approvals.ts';
import { plural, printJson } from './output.ts';

/** S3 delivery lag the demo's world simulates: logs reach S3 this long after the calls. */
const DELIVERY_LAG_SECONDS = 180;
/**
 * How long after a call the demo delivers it to detect, as EventBridge would. CloudTrail sends
 * management events to EventBridge on a best-effort basis and AWS states no figure: a minute is
 * the demo's assumption.
 */
const EVENTBRIDGE_DELAY_SECONDS = 60;
/** The stolen session's attack begins this long before the generated history ends, and is over by then. */
const ATTACK_LEAD_MINUTES = 15;
/** Quiet time between the stories. */
const BETWEEN_STORIES_SECONDS = 600;
/** How long the demo's on-call takes to look at the evidence before answering. */
const ON_CALL_RESPONSE_SECONDS = 240;

export const STORIES = ['automatic', 'escalation', 'offboarding'] as const;
export type StoryName = (typeof STORIES)[number];

export interface StoryResult {
  story: StoryName;
  caseId: string;
  outcome: string;
  path: string[];
  caseFile: string;
  /** Task (Lambda) invocations the case made, and the time spent inside them. */
  invocations: number;
  taskMillis: number;
  /** From detection to the recorded outcome, on this machine. */
  elapsedMillis: number;
}

export interface DemoResult {
  stories: StoryResult[];
  iamAccountFile: string;
  /** The inline deny policy the automatic story wrote on the instance role, if any. */
  policyName: string | null;
}

export type OnCall =
  | 'approve'
  | 'reject'
  | 'nobody'
  /** Serve the approval page on the configured port and wait for a person to answer. */
  | 'human'
  | ((page: { caseId: string; pageUrl: string }) => Promise<void>);

export interface DemoOptions {
  directory: string;
  config: Config;
  /** When the first story happens; defaults to now. */
  now?: Date;
  events?: number;
  print?: (line: string) => void;
  /** Print each line whole; otherwise each is cut to LINE_WIDTH, ARNs and times shortened. */
  verbose?: boolean;
  /** Which stories to tell, in order; all three by default. */
  stories?: readonly StoryName[];
  /**
   * What the on-call engineer does when paged: approve or reject (as `revoker approve` and
   * `revoker reject` do), nothing (so the escalation times out), wait for a person on the
   * page or the command line, or — given a function — whatever it does with the page,
   * served on 127.0.0.1 while the case waits.
   */
  onCall?: OnCall;
  /** Where each step's case events go, as the deployed functions log and count them (`--verbose`). */
  telemetry?: Telemetry;
}

/** The world after each revocation: workloads carry on, people work, the attacker keeps trying. */
class DemoWorld {
  private delivered: Date;
  private delivery = 0;
  /** When the instance role's sessions were cut: instances get fresh credentials after it. */
  instanceReissuedAt: Date | undefined;
  private readonly attackers: ((from: Date, to: Date) => Call[])[] = [];

  constructor(
    private readonly logs: string,
    private readonly account: Account,
    private readonly iamAccountFile: string,
    private readonly clock: SimulatedClock,
    private readonly random: Random,
    generatedUntil: Date,
    /** The trail's regions, where revoker's heartbeat calls STS every five minutes. */
    private readonly regions: readonly string[],
  ) {
    this.delivered = generatedUntil;
  }

  /** From now on, the attacker also makes these calls. */
  attacker(calls: (from: Date, to: Date) => Call[]): void {
    this.attackers.push(calls);
  }

  /** Calls that already happened, written to the logs as they are (delivered with the next batch). */
  happened(calls: Call[]): void {
    const writer = new LogWriter(this.logs, `delivery-${++this.delivery}`);
    writeCalls(writer, this.random, [this.account], this.delivered, this.delivered, 0, {
      authorizer: authorizerFor(this.iamAccountFile),
      extra: calls,
    });
  }

  /** Let `seconds` pass and deliver the logs that S3 would hold by then. */
  advance(seconds: number): void {
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
        extra: [
          ...this.attackers.flatMap((calls) => calls(this.delivered, until)),
          ...heartbeatCalls(this.account, this.regions, this.delivered, until),
        ].sort((a, b) => a.time.getTime() - b.time.getTime()),
        ...(this.instanceReissuedAt ? { instanceReissuedAt: this.instanceReissuedAt } : {}),
      },
    );
    this.delivered = until;
  }
}

/** Where `revoker demo` runs unless told otherwise; the other commands look there by default. */
const DEFAULT_DEMO_DIRECTORY = join('.local', 'demo');

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

/** A case detect opened. */
type OpenedCase = Extract<DetectOutcome, { caseId: string | null }> & { caseId: string };

/** The demo HR system's identity: a session of the role the shipped access.offboarders names. */
export const DEMO_HR_ROLE = 'hr-offboarding';

/** What every story shares: the account, the pipeline, the world, and how to print. */
interface Stage {
  directory: string;
  config: Config;
  logs: string;
  account: Account;
  truth: ScenarioTruth;
  pipeline: LocalPipeline;
  world: DemoWorld;
  clock: SimulatedClock;
  /** Where the generated history ends: the logs hold every call up to it. */
  generatedUntil: Date;
  print: (line: string) => void;
  /** Deliver a batch of calls: the case they open is confirmed once all of them are taken in. */
  deliver: <T>(batch: () => Promise<T>) => Promise<T>;
}

/** The widest line the demo prints (--verbose prints them whole). */
export const LINE_WIDTH = 120;

/**
 * A line as the demo prints it without --verbose: ARNs without their partition and account (the
 * account is printed first), times without their date, and the rest cut at a clause that fits.
 */
export function brief(line: string): string {
  const compact = line
    .replace(/arn:aws[a-z-]*:(?:iam|sts)::\d{12}:/g, '')
    .replace(/\d{4}-\d{2}-\d{2}T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z/g, '$1');
  if (compact.length <= LINE_WIDTH) return compact;
  const room = compact.slice(0, LINE_WIDTH - 2);
  // At the end of a sentence or clause when that keeps most of the line, else between words.
  const clause = Math.max(room.lastIndexOf('; '), room.lastIndexOf('. '));
  const cut = clause > LINE_WIDTH * 0.75 ? clause + 1 : room.lastIndexOf(' ');
  return `${room.slice(0, cut).trimEnd()} …`;
}

/** `path (n state transitions): A → B → …` over as many lines as it takes. */
function pathLines(path: string[]): string[] {
  const lines = [`path (${plural(path.length, 'state transition')}):`];
  for (const state of path) {
    const next = `${lines.at(-1)}${lines.at(-1)!.endsWith(':') ? ' ' : ' → '}${state}`;
    if (next.length <= LINE_WIDTH) lines[lines.length - 1] = next;
    else lines.push(`  → ${state}`);
  }
  return lines;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const printWhole = options.print ?? ((line: string) => console.log(line));
  const print = options.verbose
    ? printWhole
    : (text: string) => printWhole(text.split('\n').map(brief).join('\n'));
  const directory = resolve(options.directory);
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const logs = join(directory, 'logs');
  const stories = options.stories ?? STORIES;
  await prepareDemoDirectory(directory);

  // An account with two days of history and the attack in its last minutes.
  const generated = generate({
    out: logs,
    days: 2,
    events: options.events ?? 20_000,
    accounts: 1,
    seed: 'revoker-demo',
    scenarios: ['compromised-role-session'],
    end: now,
    // The attack takes about 12 minutes and is over before the history ends.
    attackLeadMinutes: ATTACK_LEAD_MINUTES,
  });
  const account = generated.accounts[0]!;
  const truth = generated.scenarios[0]!;
  const iamAccountFile = LocalIamAccount.pathFor(join(directory, 'iam'), account.id);
  await new LocalIamAccount(iamAccountFile).save(withBackdoor(initialAccountState(account), account, truth));
  print(
    `revoker demo: ${stories.length === 1 ? 'one case' : `${stories.length} cases`}, end to end on the embedded default (no AWS)\n`,
  );
  print(
    `Generated ${generated.records.toLocaleString('en-US')} CloudTrail events over 2 days for account ${account.id}`,
  );
  print(`  logs:        ${relative(process.cwd(), logs)}/AWSLogs/...`);
  print(`  IAM account: ${relative(process.cwd(), iamAccountFile)}`);
  print(`  cases:       ${relative(process.cwd(), join(directory, 'cases'))}`);

  // The automatic story's calls reach detect as they happen: its clock starts before the attack.
  const clock = new SimulatedClock(
    stories[0] === 'automatic' ? new Date(now.getTime() - ATTACK_LEAD_MINUTES * 60_000) : now,
  );
  const world = new DemoWorld(
    logs,
    account,
    iamAccountFile,
    clock,
    new Random('revoker-demo-world'),
    now,
    options.config.verify.regions,
  );
  // Fresh signing keys each run, kept beside the cases for `revoker approvals serve` and `rotate`.
  const signingKeys = await signingKeysIn(join(directory, APPROVAL_KEYS_FILE), true);
  let approvalServer: ApprovalServer | null = null;
  // What the current story's tasks cost: invocations, and time inside them.
  const cost = { invocations: 0, taskMillis: 0 };
  const timed: (run: LocalFunction) => LocalFunction = (run) => async (event) => {
    const start = performance.now();
    cost.invocations++;
    try {
      return await run(event);
    } finally {
      cost.taskMillis += performance.now() - start;
    }
  };
  let delivering: Promise<void> = Promise.resolve();
  const deliver = async <T>(batch: () => Promise<T>): Promise<T> => {
    let done!: () => void;
    delivering = new Promise((resolve) => {
      done = resolve;
    });
    try {
      return await batch();
    } finally {
      done();
    }
  };
  const pipeline: LocalPipeline = await openLocalPipeline({
    logs,
    iamAccountFile,
    casesDirectory: join(directory, 'cases'),
    callbacksDirectory: join(directory, 'callbacks'),
    notificationsFile: join(directory, 'notifications.jsonl'),
    deadLettersFile: join(directory, 'dead-letters.jsonl'),
    signingKeys,
    config: options.config,
    clock,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    around: {
      // A batch of calls delivered together is taken in before its case is confirmed, as a
      // Step Functions execution starts a moment after detect: the story reads the same every run.
      confirm: (run) => async (event) => {
        await delivering;
        return timed(run)(event);
      },
      revoke: timed,
      offboard: timed,
      close: timed,
      escalate: (run) => async (event) => {
        const page = await timed(run)(event);
        void answerPage(event as { caseId: string; settings: { approvalTimeoutSeconds: number } });
        return page;
      },
      verify: (run) => async (event) => {
        const input = event as { settings: { logDeliveryWaitSeconds: number } };
        world.advance(input.settings.logDeliveryWaitSeconds);
        return timed(run)(event);
      },
    },
  });

  const onCall = options.onCall ?? 'approve';
  const approver = options.config.escalation.approvers[0]!;
  const pageUrl = (caseId: string, base: string) => {
    // The page the on-call (the first approver) was sent: their own message, with their link.
    const sent = pipeline.notifier.sent.findLast(
      (notification) =>
        notification.caseId === caseId &&
        notification.kind === 'approval-requested' &&
        notification.audience === 'approver' &&
        notification.approver === approver,
    );
    if (sent?.audience !== 'approver') throw new Error(`${approver} was sent no link for case ${caseId}`);
    const link = new URL(sent.link.url).searchParams.get('link')!;
    return `${base}?link=${encodeURIComponent(link)}`;
  };
  const servePage = async (port: number) =>
    (approvalServer ??= await serveApprovals(
      createApprovalHandler({
        cases: pipeline.cases,
        callbacks: pipeline.callbacks,
        clock,
        keys: signingKeys,
      }),
      port,
    ));
  // The on-call answers a page as an engineer would: on the page, or with `revoker approve`.
  const answerPage = async (page: { caseId: string; settings: { approvalTimeoutSeconds: number } }) => {
    if (typeof onCall === 'function') {
      const server = await servePage(0);
      await onCall({ caseId: page.caseId, pageUrl: pageUrl(page.caseId, server.url) });
      return;
    }
    if (onCall === 'human') {
      const server = await servePage(Number(new URL(options.config.escalation.approvalUrl).port || 80));
      print(`\n             Waiting for you, as ${approver}. Open the approval page:`);
      // A link and a command to copy are printed whole, however long.
      printWhole(`               ${pageUrl(page.caseId, server.url)}`);
      printWhole(
        `             or, in another terminal: npx revoker approve ${page.caseId} --approver ${approver}${directory === resolve(DEFAULT_DEMO_DIRECTORY) ? '' : ` --cases ${join(directory, 'cases')} --callbacks ${join(directory, 'callbacks')}`}\n`,
      );
      return;
    }
    if (onCall === 'nobody') {
      print('             nobody answers the page');
      clock.advance(page.settings.approvalTimeoutSeconds);
      return;
    }
    clock.advance(ON_CALL_RESPONSE_SECONDS);
    const answers = { cases: pipeline.cases, callbacks: pipeline.callbacks, clock };
    const common = { caseId: page.caseId, approver, via: 'cli' as const };
    await answerEscalation({ ...common, answer: 'acknowledge' }, answers);
    await answerEscalation(
      onCall === 'approve'
        ? { ...common, answer: 'approve', reason: 'the evidence shows an attacker' }
        : { ...common, answer: 'reject', reason: 'a planned penetration test' },
      answers,
    );
  };

  const stage: Stage = {
    directory,
    config: options.config,
    logs,
    account,
    truth,
    pipeline,
    world,
    clock,
    generatedUntil: now,
    print,
    deliver,
  };
  const told: StoryResult[] = [];
  try {
    for (const [index, story] of stories.entries()) {
      if (index > 0) world.advance(BETWEEN_STORIES_SECONDS);
      print(`\n━━ ${index + 1} of ${stories.length}: ${TITLES[story]} ━━`);
      Object.assign(cost, { invocations: 0, taskMillis: 0 });
      const start = performance.now();
      const started = await STORY[story](stage);
      const result = await followCase(stage, story, started);
      told.push({ ...result, ...cost, elapsedMillis: performance.now() - start });
    }
  } finally {
    await (approvalServer as ApprovalServer | null)?.close();
    await pipeline.close();
  }

  const iamState = await new LocalIamAccount(iamAccountFile).load();
  const role = Object.entries(iamState.roles).find(([, candidate]) => candidate.arn === truth.roleArn);
  const policyName = role
    ? (Object.keys(role[1].inlinePolicies).find((name) => name.startsWith('revoker-')) ?? null)
    : null;
  print('\nOutcomes:');
  for (const result of told) print(`  ${result.story.padEnd(12)} ${result.caseId}  ${result.outcome}`);
  return { stories: told, iamAccountFile, policyName };
}

const TITLES: Record<StoryName, string> = {
  automatic: 'automatic containment: a stolen EC2 instance role',
  escalation: 'escalation: the attacker returns with its backdoor user, and the on-call decides',
  offboarding: 'offboarding: a person leaves, and everything they hold goes',
};

/** The attack's CreateUser and CreateAccessKey really happened: IAM holds the backdoor user. */
function withBackdoor(state: ReturnType<typeof initialAccountState>, account: Account, truth: ScenarioTruth) {
  const person = backdoorPerson(account, truth);
  return {
    ...state,
    users: {
      ...state.users,
      [person.name]: {
        arn: `arn:aws:iam::${account.id}:user/${person.name}`,
        tags: {},
        accessKeys: [{ accessKeyId: person.accessKeyId, status: 'Active' as const }],
        inlinePolicies: {},
        attachedPolicies: [],
        hasLoginProfile: true,
        signingCertificates: [],
        sshPublicKeys: [],
        serviceSpecificCredentials: [],
      },
    },
  };
}

/** Each story puts its events through detect, as EventBridge would, and names the case it opened. */
const STORY: Record<StoryName, (stage: Stage) => Promise<OpenedCase>> = {
  async automatic({ logs, account, pipeline, clock, generatedUntil, truth, world, print, deliver }) {
    print(
      `attack: ${truth.roleArn} session ${truth.sessionName}, used from ${truth.attackerIp} from ${clockTime(truth.startedAt)}`,
    );
    const since = new Date(generatedUntil.getTime() - ATTACK_LEAD_MINUTES * 60_000);
    const recentFiles = (await listFiles([logs])).filter(
      (file) => (logFileFromPath(file)?.timestamp ?? '') >= toPartitionDay(since),
    );
    // The calls the rules' EventBridge patterns deliver, in the order they happened.
    const envelopes: ReturnType<typeof envelopeFor>[] = [];
    for await (const entry of readRecordFiles(recentFiles)) {
      if (entry.kind !== 'parsed' || entry.record.eventTime < toInstant(since)) continue;
      const envelope = envelopeFor(entry.record, `demo-${envelopes.length}`);
      if (RULES.some((rule) => matchesEventPattern(rule.eventPattern, envelope))) envelopes.push(envelope);
    }
    envelopes.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    const outcomes: DetectOutcome[] = [];
    let openedAt = clock.now();
    await deliver(async () => {
      // Each call reaches detect at its own time: the case opens at the first, the rest join it as they come.
      for (const envelope of envelopes) {
        advanceTo(clock, new Date(Date.parse(envelope.time) + EVENTBRIDGE_DELAY_SECONDS * 1000));
        const delivered = (await pipeline.detect(envelope)) as DetectOutcome[];
        if (delivered.some((outcome) => outcome.status === 'opened')) openedAt = clock.now();
        outcomes.push(...delivered);
      }
      // Confirmation weighs the whole attack, over by the time the history ends: the story reads the same every run.
      advanceTo(clock, generatedUntil);
    });
    const started = outcomes.filter((outcome) => outcome.status === 'opened');
    const joined = outcomes.filter(
      (outcome) => outcome.status === 'joined' || outcome.status === 'raised',
    ).length;
    const passed = outcomes.length - started.length - joined;
    print(
      `${clockTime(toInstant(openedAt))}  detect      ${plural(started.length, 'case')} opened, then ${plural(joined, 'call')} joined it, each as it came; ${passed} others passed the patterns but no rule`,
    );
    // The stolen session keeps trying; once its sessions are cut, instances get fresh ones.
    world.attacker((from, to) => stolenSessionRetries(account, truth, from, to));
    return startedCase(started[0], 'the stolen session');
  },

  async escalation({ account, truth, clock, world, pipeline, print, deliver }) {
    const at = new Date(clock.now().getTime() - 30_000);
    const calls = backdoorReturns(account, truth, at);
    world.happened(calls);
    world.attacker((from, to) => backdoorRetries(account, truth, from, to));
    print(
      `attack: user ${truth.backdoorUser} (created by the stolen session) calls ${calls.map((call) => call.eventName).join(', ')} from ${truth.attackerIp}`,
    );
    // Every call the rules' patterns deliver, in order: the command opens a notify-only case, and
    // stopping the trail raises it to a critical one that asks the on-call.
    const random = new Random('demo-backdoor');
    const outcomes: DetectOutcome[] = [];
    await deliver(async () => {
      for (const [index, call] of calls.entries()) {
        const envelope = envelopeFor(toRecord(call, random) as never, `demo-backdoor-${index}`);
        if (!RULES.some((rule) => matchesEventPattern(rule.eventPattern, envelope))) continue;
        outcomes.push(...((await pipeline.detect(envelope)) as DetectOutcome[]));
      }
    });
    for (const outcome of outcomes)
      if (outcome.status === 'opened' || outcome.status === 'raised')
        print(
          `${clockTime(toInstant(clock.now()))}  detect      ${outcome.trigger.eventName}: rule ${outcome.ruleId} ${outcome.status === 'opened' ? 'opened a case' : 'raised the case'}`,
        );
    // Its who-am-I reaches detect too (an instance's would be looked at) and matches no rule.
    return startedCase(
      outcomes.find((outcome) => outcome.status === 'opened') ?? outcomes[0],
      'the backdoor user',
    );
  },

  async offboarding({ directory, config, account, clock, pipeline, print }) {
    const person = account.people[0]!.name;
    const hr = callerOf(`arn:aws:sts::${account.id}:assumed-role/${DEMO_HR_ROLE}/workday`);
    print(`request: the HR system says ${person} has left; it asks the operator API as ${hr.arn}`);
    // The operator API's use case, as the function URL runs it once AWS has verified the signature.
    const answer = await offboardAs(
      hr,
      { person, accountId: account.id, region: account.regions[0], reason: 'left the company' },
      {
        config,
        homeAccountId: account.id,
        grantGuard: localGrantGuardArn,
        cases: pipeline.cases,
        audit: new FileAuditLog(join(directory, 'audit.jsonl')),
        clock,
        iamFor: (accountId) => {
          if (accountId !== account.id)
            throw new AccountNotEnrolledError(`account ${accountId} is not the demo's`);
          return pipeline.iam;
        },
        scheduler: new FileScheduler(join(directory, 'schedules'), clock),
        callbacks: pipeline.callbacks,
        engine: pipeline.engine,
        runbooks: loadRunbooks(),
        workflow: pipeline.workflow,
      },
    );
    print(
      `${clockTime(toInstant(clock.now()))}  operator    access.offboarders allows it (audited): ${answer.message}`,
    );
    if (answer.status !== 'opened' || answer.caseId === null)
      throw new Error(`the offboarding of ${person} did not open a case: ${answer.message}`);
    const { trigger } = (await requireCase(pipeline.cases, answer.caseId)).header;
    return { status: 'opened', caseId: answer.caseId, ruleId: trigger.ruleId, alsoMatched: [], trigger };
  },
};

/** Let simulated time pass up to `at`, if it is still ahead. */
function advanceTo(clock: SimulatedClock, at: Date): void {
  const ahead = (at.getTime() - clock.now().getTime()) / 1000;
  if (ahead > 0) clock.advance(ahead);
}

function startedCase(outcome: DetectOutcome | undefined, what: string): OpenedCase {
  if (outcome?.status !== 'opened' || outcome.caseId === null) {
    throw new Error(
      `${what} did not open a case: ${outcome && 'reason' in outcome ? outcome.reason : 'no outcome'}`,
    );
  }
  return { ...outcome, caseId: outcome.caseId };
}

/** Wait for the case to end, then print what it did, step by step, and how much it cost. */
async function followCase(
  { pipeline, directory, print }: Stage,
  story: StoryName,
  opened: OpenedCase,
): Promise<Omit<StoryResult, 'invocations' | 'taskMillis' | 'elapsedMillis'>> {
  print(
    `             rule ${opened.ruleId} fired on ${opened.trigger.eventName}${opened.trigger.sourceIp ? ` from ${opened.trigger.sourceIp}` : ''} by ${principalArnOf(opened.trigger.target)}`,
  );
  const execution = pipeline.workflow.executions.get(executionNameOf(opened.caseId))!;
  await execution.output;
  const record = await requireCase(pipeline.cases, opened.caseId);
  const { header } = record;
  for (const entry of record.entries)
    print(`${clockTime(entry.at)}  ${entry.step.padEnd(13)} ${entry.summary}`);
  for (const sent of pipeline.notifier.sent.filter((notification) => notification.caseId === header.caseId))
    print(
      sent.audience === 'approver'
        ? `             paged ${sent.approver} alone (SNS, their own link, in notifications.jsonl): ${sent.headline}`
        : `             paged (SNS and Slack, in notifications.jsonl): ${sent.headline}`,
    );
  const path = execution.history
    .filter((event) => event.type === 'StateEntered')
    .map((event) => event.state!);
  for (const line of pathLines(path)) print(line);
  const caseFile = join(directory, 'cases', `${header.caseId}.json`);
  print(`Outcome: ${header.outcome}   (case record: ${relative(process.cwd(), caseFile)})`);
  return { story, caseId: header.caseId, outcome: header.outcome ?? 'open', path, caseFile };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Three cases end to end on the embedded default: an automatic containment, an escalation an on-call approves, an offboarding',
    )
    .option('--dir <dir>', 'working directory (replaced on each run)', DEFAULT_DEMO_DIRECTORY)
    .option('--config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--interactive', 'serve the approval page and wait for you to approve the escalated case')
    .option(
      '--verbose',
      `print every line whole (otherwise each fits in ${LINE_WIDTH} characters), and each step’s case events on stderr as the deployed functions log them`,
    )
    .addOption(
      new Option(
        '--json',
        'print only the outcome as JSON: each story’s case ID, outcome and path',
      ).conflicts('interactive'),
    )
    .action(
      async (options: {
        dir: string;
        config: string;
        interactive?: boolean;
        verbose?: boolean;
        json?: boolean;
      }) => {
        const config = await loadConfigFile(options.config);
        // Before the directory is replaced: another demo still waiting there must not lose its files.
        if (options.interactive) await ensurePortFree(new URL(config.escalation.approvalUrl));
        const result = await runDemo({
          directory: options.dir,
          config,
          onCall: options.interactive ? 'human' : 'approve',
          ...(options.verbose ? { verbose: true, telemetry: new StderrTelemetry() } : {}),
          ...(options.json ? { print: () => undefined } : {}),
        });
        if (options.json) printJson(result);
        if (result.stories.some((story) => story.outcome !== 'contained')) process.exitCode = 1;
      },
    );
}

/** The approval page's port must be free; if not, say who most likely holds it. */
async function ensurePortFree(url: URL): Promise<void> {
  const port = Number(url.port || 80);
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new DemoDirectoryError(
              `port ${port} (escalation.approvalUrl) is in use: is another \`revoker demo --interactive\` still waiting? Answer or stop it first`,
            )
          : error,
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
