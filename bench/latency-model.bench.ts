// A latency model, not a measurement: the time from a CloudTrail event to revoker's deny being in
// place in AWS (the Revoke task's read-back shows it in IAM), as distributions combined by a
// seeded Monte Carlo. The pipeline is the one the code defines: the member account's default bus
// forwards the call to the detect bus (template.yaml), detect opens the case and starts the
// execution, then Origin → Confirm → Standing → Decide → Revoke (statemachines/revocation.asl.json;
// the deny comes before verification). Confirm runs its three runbooks at once on Athena
// (lib/usecases/confirm.ts), polling from 100 ms doubling to 1 s, ±20% jitter
// (lib/aws/athena-engine.ts). Revoke reads the role (6 IAM calls in series), puts the deny
// (1 call) and reads the role back until IAM shows it, 250 ms doubling to 4 s
// (lib/usecases/revoke.ts, lib/usecases/apply-plan.ts, lib/domain/revocation/plan.ts,
// lib/aws/iam-gateway.ts). Every function runs Node 22 on arm64 at 512 MB (template.yaml Globals).
//
// AWS publishes almost none of these latencies: each parameter below says whether it is a
// published figure or an assumption. The verdict is only as good as the assumptions; the point is
// which step dominates and what a design change moves.

import { type Figure, formatSpread, RUNS, spread } from './figures.ts';

// --- Parameters: lognormal distributions given by their median and p95, in milliseconds. ---
type Dist = { median: number; p95: number };

/** CloudTrail → default bus. Assumed: AWS documents CloudTrail events reach EventBridge "best
 * effort" (eventbridge/latest/userguide/eb-service-event-delivery-level.html) and publishes no
 * latency; CloudTrail's S3 delivery is "about 5 minutes" on average, EventBridge is faster. */
const CLOUDTRAIL_TO_BUS: Dist = { median: 25_000, p95: 75_000 };
/** Default bus → detect bus (cross-account rule target, template.yaml). Assumed. */
const BUS_FORWARD_HOP: Dist = { median: 150, p95: 600 };
/** Detect bus rule → detect Lambda (asynchronous invoke). Assumed. */
const BUS_TO_LAMBDA: Dist = { median: 200, p95: 800 };
/** Probability an invocation lands on a new execution environment. Assumed (a parameter). */
const COLD_START_PROBABILITY = 0.25;
/** Cold start init, Node 22 arm64 512 MB with the AWS SDK clients bundled. Assumed (AWS publishes
 * no figure; it says cold starts are typically under 1 s to a few seconds). */
const COLD_INIT: Dist = { median: 700, p95: 1_800 };
/** One DynamoDB read or write. AWS's published "single-digit millisecond" plus the SDK round trip. */
const DYNAMODB_CALL: Dist = { median: 8, p95: 30 };
/** DynamoDB calls detect makes in series to open or join the case. From lib/usecases/detect.ts (read, conditional write, index). */
const DETECT_DYNAMODB_CALLS = 3;
/** StartExecution, Standard workflow. Assumed. */
const START_EXECUTION: Dist = { median: 60, p95: 200 };
/** One state transition inside Step Functions (Choice, Pass, Task entry). Assumed. */
const STATE_TRANSITION: Dist = { median: 25, p95: 100 };
/** A lambda:invoke Task's dispatch and result hand-back, beyond the function's own time. Assumed. */
const TASK_DISPATCH: Dist = { median: 60, p95: 250 };
/** DynamoDB calls confirm makes in series (the case, the previous case, the recorded entry). From confirm.ts. */
const CONFIRM_DYNAMODB_CALLS = 3;
/** StartQueryExecution, GetQueryExecution (one poll) and one GetQueryResults page. Assumed. */
const ATHENA_START: Dist = { median: 120, p95: 400 };
const ATHENA_POLL_CALL: Dist = { median: 40, p95: 150 };
const ATHENA_RESULTS: Dist = { median: 120, p95: 400 };
/** Athena queue time (QueryQueueTimeInMillis). Assumed: unpublished, grows with the account's load. */
const ATHENA_QUEUE: Dist = { median: 400, p95: 4_000 };
/** Engine time of first-seen over the baseline days of the principal's account (the widest scan). Assumed. */
const ATHENA_RUN_FIRST_SEEN: Dist = { median: 5_000, p95: 20_000 };
/** Engine time of error-burst and persistence-created over the recent window. Assumed. */
const ATHENA_RUN_RECENT: Dist = { median: 2_000, p95: 7_000 };
/** The poll schedule of lib/aws/athena-engine.ts. From the code. */
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1_000;
const POLL_JITTER = 0.2;
/** DynamoDB calls revoke makes before the change (two case reads, the reservation, the intent). From revoke.ts and revocations.ts. */
const REVOKE_DYNAMODB_CALLS = 4;
/** STS AssumeRole into the member account, on a cold start only (credentials are cached, lib/aws/assumed-role.ts). Assumed. */
const ASSUME_ROLE: Dist = { median: 150, p95: 500 };
/** One IAM read (control plane in us-east-1). Assumed. */
const IAM_READ: Dist = { median: 120, p95: 400 };
/** PutRolePolicy. Assumed. */
const IAM_WRITE: Dist = { median: 200, p95: 700 };
/** A role-session revocation's state read: GetRole, ListRolePolicies, GetRolePolicy (one workload
 * inline policy), ListAttachedRolePolicies, ListInstanceProfilesForRole, GetPolicy (the pipeline's
 * managed fallback, absent) — in series (iam-gateway.ts readState). The read-back also reads the
 * deny's inline policy: one more. From the code. */
const IAM_READS_BEFORE = 6;
const IAM_READS_AFTER = 7;
/** Rounds of reads when the independent ones go at once: the role, its lists and the managed
 * policy together, then each inline policy together. Design variant. */
const IAM_READ_ROUNDS_PARALLEL = 2;
/** Time until IAM shows a change. Assumed: AWS documents IAM as eventually consistent
 * ("changes may take time to propagate") and publishes no figure. */
const IAM_PROPAGATION: Dist = { median: 2_000, p95: 8_000 };
/** Read-back schedule of lib/usecases/apply-plan.ts. From the code. */
const READ_BACK_FIRST_MS = 250;
const READ_BACK_MAX_MS = 4_000;

const GOAL_MS = 60_000;
const TRIALS = 20_000;
const SEED = 16;

// --- A small seeded PRNG (mulberry32) and the lognormal from median and p95. ---
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const Z95 = 1.6448536;

function sampler(random: () => number) {
  const normal = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const draw = (dist: Dist) => dist.median * Math.exp((Math.log(dist.p95 / dist.median) / Z95) * normal());
  const series = (dist: Dist, count: number) => {
    let total = 0;
    for (let index = 0; index < count; index++) total += draw(dist);
    return total;
  };
  return { random, draw, series };
}
type Sampler = ReturnType<typeof sampler>;

interface Variant {
  name: string;
  /** Critical rules deny the offending session first and confirm after: Origin → Revoke. */
  denyFirst: boolean;
  /** Provisioned concurrency for detect, confirm and revoke: no cold starts. */
  provisioned: boolean;
  /** The independent IAM reads of a plan go at once. */
  parallelIam: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'as built', denyFirst: false, provisioned: false, parallelIam: false },
  { name: 'provisioned concurrency', denyFirst: false, provisioned: true, parallelIam: false },
  { name: 'IAM reads in parallel', denyFirst: false, provisioned: false, parallelIam: true },
  { name: 'deny first, confirm after', denyFirst: true, provisioned: false, parallelIam: false },
  { name: 'deny first + parallel IAM + PC', denyFirst: true, provisioned: true, parallelIam: true },
];

const STEPS = [
  'CloudTrail → EventBridge',
  'EventBridge routing',
  'detect Lambda',
  'Step Functions',
  'confirm (3 Athena)',
  'revoke (deny + read-back)',
] as const;
type Step = (typeof STEPS)[number];

function coldStart(s: Sampler, variant: Variant): number {
  return !variant.provisioned && s.random() < COLD_START_PROBABILITY ? s.draw(COLD_INIT) : 0;
}

/** One Athena query as confirm runs it: start, queue, run, then the poll that first sees it done. */
function athenaQuery(s: Sampler, run: Dist): number {
  const started = s.draw(ATHENA_START);
  const done = s.draw(ATHENA_QUEUE) + s.draw(run);
  // Poll at once, then after each jittered wait; the poll's own round trip counts.
  let at = 0;
  let base = POLL_FIRST_MS;
  for (;;) {
    at += s.draw(ATHENA_POLL_CALL);
    if (at >= done) break;
    at += base * (1 - POLL_JITTER + 2 * POLL_JITTER * s.random());
    base = Math.min(base * 2, POLL_MAX_MS);
  }
  return started + at + s.draw(ATHENA_RESULTS);
}

function confirmLambda(s: Sampler, variant: Variant): number {
  const queries = [
    athenaQuery(s, ATHENA_RUN_FIRST_SEEN),
    athenaQuery(s, ATHENA_RUN_RECENT),
    athenaQuery(s, ATHENA_RUN_RECENT),
  ];
  return coldStart(s, variant) + s.series(DYNAMODB_CALL, CONFIRM_DYNAMODB_CALLS) + Math.max(...queries);
}

function readState(s: Sampler, variant: Variant, calls: number): number {
  if (!variant.parallelIam) return s.series(IAM_READ, calls);
  // Each round waits for the slowest of its calls.
  let total = 0;
  const perRound = Math.ceil(calls / IAM_READ_ROUNDS_PARALLEL);
  for (let round = 0; round < IAM_READ_ROUNDS_PARALLEL; round++) {
    let slowest = 0;
    for (let call = 0; call < perRound; call++) slowest = Math.max(slowest, s.draw(IAM_READ));
    total += slowest;
  }
  return total;
}

function revokeLambda(s: Sampler, variant: Variant): number {
  const cold = coldStart(s, variant);
  let at = cold + (cold > 0 ? s.draw(ASSUME_ROLE) : 0) + s.series(DYNAMODB_CALL, REVOKE_DYNAMODB_CALLS);
  at += readState(s, variant, IAM_READS_BEFORE);
  at += s.draw(IAM_WRITE);
  // A read-back shows the deny when it starts after IAM has propagated it.
  const visible = at + s.draw(IAM_PROPAGATION);
  for (let delay = READ_BACK_FIRST_MS; ; delay = Math.min(delay * 2, READ_BACK_MAX_MS)) {
    const shows = at >= visible;
    at += readState(s, variant, IAM_READS_AFTER);
    if (shows) return at;
    at += delay;
  }
}

const routing = (s: Sampler) => s.draw(BUS_FORWARD_HOP) + s.draw(BUS_TO_LAMBDA);
const detectLambda = (s: Sampler, variant: Variant) =>
  coldStart(s, variant) + s.series(DYNAMODB_CALL, DETECT_DYNAMODB_CALLS) + s.draw(START_EXECUTION);
const stepFunctions = (s: Sampler, transitions: number, tasks: number) =>
  s.series(STATE_TRANSITION, transitions) + s.series(TASK_DISPATCH, tasks);

/** One stream per step (common random numbers): the variants differ only where their design does. */
function trial(streams: Record<Step, Sampler>, variant: Variant): Record<Step, number> {
  // Origin → Confirm → Standing → Decide → Revoke, or Origin → Revoke when the deny goes first.
  const transitions = variant.denyFirst ? 2 : 5;
  const tasks = variant.denyFirst ? 1 : 2;
  return {
    'CloudTrail → EventBridge': streams['CloudTrail → EventBridge'].draw(CLOUDTRAIL_TO_BUS),
    'EventBridge routing': routing(streams['EventBridge routing']),
    'detect Lambda': detectLambda(streams['detect Lambda'], variant),
    'Step Functions': stepFunctions(streams['Step Functions'], transitions, tasks),
    'confirm (3 Athena)': variant.denyFirst ? 0 : confirmLambda(streams['confirm (3 Athena)'], variant),
    'revoke (deny + read-back)': revokeLambda(streams['revoke (deny + read-back)'], variant),
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

interface Result {
  variant: Variant;
  steps: Record<Step, { p50: number; p95: number; shareAll: number; shareBus: number }>;
  total: { p50: number; p95: number };
  fromBus: { p50: number; p95: number };
  /** The largest CloudTrail → EventBridge p95 under which the total p95 stays under the goal. */
  toleratedDeliveryP95: number;
}

/** Each step's share of the total p95: its mean share among the trials within a percentile of it. */
function shareAt(trials: Record<Step, number>[], totals: number[], step: Step, p95: number, spread: number) {
  let part = 0;
  let whole = 0;
  trials.forEach((sample, index) => {
    if (Math.abs(totals[index]! - p95) <= spread) {
      part += sample[step];
      whole += totals[index]!;
    }
  });
  return whole > 0 ? part / whole : 0;
}

function simulate(variant: Variant, seed = SEED): Result {
  const streams = Object.fromEntries(
    STEPS.map((step, index) => [step, sampler(prng(seed * 1000 + index))]),
  ) as Record<Step, Sampler>;
  const trials = Array.from({ length: TRIALS }, () => trial(streams, variant));
  const totals = trials.map((sample) => STEPS.reduce((sum, step) => sum + sample[step], 0));
  const fromBus = trials.map((sample, index) => totals[index]! - sample['CloudTrail → EventBridge']);
  const sortedTotals = [...totals].sort((a, b) => a - b);
  const sortedBus = [...fromBus].sort((a, b) => a - b);
  const total = { p50: quantile(sortedTotals, 0.5), p95: quantile(sortedTotals, 0.95) };
  const bus = { p50: quantile(sortedBus, 0.5), p95: quantile(sortedBus, 0.95) };
  const spreadAll = (quantile(sortedTotals, 0.96) - quantile(sortedTotals, 0.94)) / 2;
  const spreadBus = (quantile(sortedBus, 0.96) - quantile(sortedBus, 0.94)) / 2;
  const steps = {} as Result['steps'];
  for (const step of STEPS) {
    const sorted = trials.map((sample) => sample[step]).sort((a, b) => a - b);
    steps[step] = {
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      shareAll: shareAt(trials, totals, step, total.p95, spreadAll),
      shareBus: step === 'CloudTrail → EventBridge' ? 0 : shareAt(trials, fromBus, step, bus.p95, spreadBus),
    };
  }
  // The slowest delivery this variant tolerates: scale the delivery distribution (its shape kept)
  // until the total p95 reaches the goal.
  const delivery = trials.map((sample) => sample['CloudTrail → EventBridge']);
  const p95With = (scale: number) =>
    quantile(
      fromBus.map((rest, index) => rest + scale * delivery[index]!).sort((a, b) => a - b),
      0.95,
    );
  let [low, high] = [0, 4];
  for (let round = 0; round < 30; round++) {
    const middle = (low + high) / 2;
    if (p95With(middle) < GOAL_MS) low = middle;
    else high = middle;
  }
  return { variant, steps, total, fromBus: bus, toleratedDeliveryP95: low * CLOUDTRAIL_TO_BUS.p95 };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
const met = (ms: number) => (ms < GOAL_MS ? 'met' : 'not met');

function printTable(result: Result): void {
  console.log(
    `\n  ${result.variant.name}\n  step                        p50       p95    share of p95 (all)  share of p95 (from bus)`,
  );
  for (const step of STEPS) {
    const row = result.steps[step];
    console.log(
      `  ${step.padEnd(26)} ${seconds(row.p50).padStart(7)}  ${seconds(row.p95).padStart(8)}  ${percent(row.shareAll).padStart(18)}  ${(step === 'CloudTrail → EventBridge' ? '(outside)' : percent(row.shareBus)).padStart(23)}`,
    );
  }
  console.log(
    `  ${'total, from the event'.padEnd(26)} ${seconds(result.total.p50).padStart(7)}  ${seconds(result.total.p95).padStart(8)}`,
  );
  console.log(
    `  ${'total, from the bus'.padEnd(26)} ${seconds(result.fromBus.p50).padStart(7)}  ${seconds(result.fromBus.p95).padStart(8)}`,
  );
  const dominant = (key: 'shareAll' | 'shareBus') =>
    STEPS.reduce((best, step) => (result.steps[step][key] > result.steps[best][key] ? step : best));
  console.log(`  dominates: ${dominant('shareAll')} (all); ${dominant('shareBus')} (from the bus)`);
}

export async function run(): Promise<Figure[]> {
  const started = performance.now();
  const results = VARIANTS.map(simulate);
  console.log(
    `\nlatency-model: CloudTrail event → deny in place (read back from IAM), Monte Carlo, ${TRIALS.toLocaleString('en-US')} trials per variant, seed ${SEED}, cold-start probability ${COLD_START_PROBABILITY}`,
  );
  console.log('  a model of assumed distributions (see the constants), not a measurement of AWS');
  for (const result of results) printTable(result);
  console.log(`\n  goal: p95 under ${GOAL_MS / 1000} s`);
  console.log(
    '  variant                          p95 from event   verdict   p95 from bus   verdict   met from event if delivery p95 ≤',
  );
  for (const result of results) {
    console.log(
      `  ${result.variant.name.padEnd(32)} ${seconds(result.total.p95).padStart(14)}   ${met(result.total.p95).padEnd(7)}   ${seconds(result.fromBus.p95).padStart(12)}   ${met(result.fromBus.p95).padEnd(7)}   ${seconds(result.toleratedDeliveryP95).padStart(8)}`,
    );
  }
  const best = results.reduce((a, b) => (b.total.p95 < a.total.p95 ? b : a));
  const baseline = results[0]!;
  console.log(
    `  best: ${best.variant.name}, p95 ${seconds(best.total.p95)} from the event (${(baseline.total.p95 / best.total.p95).toFixed(2)}x the as-built ${seconds(baseline.total.p95)}), ${seconds(best.fromBus.p95)} from the bus (${(baseline.fromBus.p95 / best.fromBus.p95).toFixed(2)}x); CloudTrail → EventBridge alone has p95 ${seconds(best.steps['CloudTrail → EventBridge'].p95)}, outside revoker's control`,
  );
  console.log(`  model ran in ${(performance.now() - started).toFixed(0)} ms`);

  // The same model under RUNS seeds: the spread is the Monte Carlo's own noise.
  const seeds = Array.from({ length: RUNS }, (_, index) => SEED + index);
  const bySeed = [
    results,
    ...seeds.slice(1).map((seed) => VARIANTS.map((variant) => simulate(variant, seed))),
  ];
  return VARIANTS.map((variant, index) => {
    const fromEvent = spread(bySeed.map((seeded) => seeded[index]!.total.p95 / 1000));
    const fromBus = spread(bySeed.map((seeded) => seeded[index]!.fromBus.p95 / 1000));
    const tolerated = spread(bySeed.map((seeded) => seeded[index]!.toleratedDeliveryP95 / 1000));
    return {
      bench: 'latency-model',
      figure: `event → deny in AWS, p95 (a model, not a measurement): ${variant.name}`,
      data: `${TRIALS.toLocaleString('en-US')} trials × seeds ${seeds.join(', ')}; assumed distributions (see the bench)`,
      goal: `≤ ${GOAL_MS / 1000} s`,
      measured: `${formatSpread(fromEvent, 's', 1)} from the event; ${formatSpread(fromBus, 's', 1)} from the bus; met from the event if CloudTrail → EventBridge p95 ≤ ${formatSpread(tolerated, 's', 1)} (assumed ${CLOUDTRAIL_TO_BUS.p95 / 1000} s)`,
      met: fromEvent.median <= GOAL_MS / 1000,
    };
  });
}
