// Detection quality (issue 14, item 6): each rule's true and false positives on the labelled
// shared data (../shared/data/cloudtrail) and on generated benign traffic, and the precision and
// recall of the catalog as a whole.
//
// Labels. A rule's positives are the records of the attacks it claims: the Stratus Red Team
// techniques (stratus-red-team/aws.<technique>.json) and the OTRF stolen-credentials dataset
// named for it in test/fixtures/rule-sources.ts, the table the rules test checks firings against.
// Every other record is a negative for that rule: other techniques' records, the AWS
// documentation's, Cloud Custodian's and AWS's parser test records, and the generated
// organisation's ordinary traffic (no scenarios injected). The packaged copies in log-files/
// repeat the same records and are left out.
//
// Recall is counted per attack, not per record: a detonation's file also holds its setup,
// discovery and clean-up calls, which no rule should fire on. An attack counts as detected when
// a rule claiming it fires on at least one of its records; attacks no rule claims count as missed.
//
// Goal: no rule below 0.95 precision without a written reason (REASONS below). A rule under the
// goal without one prints FAIL and the run exits non-zero. Counts, not times: one run gives them
// (the data is fixed and the generator seeded). The generated traffic is BENCH_EVENTS events
// (default 1,000,000) over 2 days and 2 accounts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchingRules, RULES } from '../lib/domain/rules.ts';
import { generate } from '../lib/local/generator/generate.ts';
import { readRecordFiles } from '../lib/local/record-files.ts';
import { SHARED_CLOUDTRAIL } from '../test/fixtures/paths.ts';
import { RULE_SOURCES } from '../test/fixtures/rule-sources.ts';
import type { Figure } from './figures.ts';

const GOAL = 0.95;

/**
 * Why a rule may sit below the precision goal on this data. Reviewed: each names the records
 * counted as false positives and why they are not a defect of the rule.
 */
const REASONS: Record<string, string> = {
  'console-login-without-mfa':
    'its 3 false positives are the AWS documentation’s successful password-only sign-ins (two IAM users, ' +
    'one root): exactly the behaviour the rule names, counted as negatives only because documentation ' +
    'examples are not labelled attacks',
  'root-user-activity':
    'fires on every root call by design, for a human to confirm (escalate, never auto-revoke): its ' +
    'false positives are the AWS documentation’s 5 root examples and Cloud Custodian’s 2; no Stratus ' +
    'technique acts as root, so it has no labelled positive here',
};

/** A shared file's source name, as the rules test writes it: `<tactic>.<technique>` or a path. */
function sourceOf(file: string): string {
  return file.slice(SHARED_CLOUDTRAIL.length + 1).replace(/^stratus-red-team\/aws\.|\.json$/g, '');
}

function isAttack(source: string): boolean {
  return /^[a-z-]+\.[a-z0-9-]+$/.test(source) || source.startsWith('otrf/');
}

interface Tally {
  truePositives: number;
  sharedFalsePositives: number;
  generatedFalsePositives: number;
  /** Claimed attacks the rule fired on. */
  detected: Set<string>;
}

interface Quality {
  truePositives: number;
  falsePositives: number;
}

/** TP / (TP + FP), or undefined when the rule never fired. */
function precision({ truePositives, falsePositives }: Quality): number | undefined {
  const fired = truePositives + falsePositives;
  return fired === 0 ? undefined : truePositives / fired;
}

export async function run(): Promise<Figure[]> {
  const started = performance.now();
  const claims = new Map<string, Set<string>>(
    RULE_SOURCES.map(([ruleId, sources]) => [ruleId, new Set(sources.filter(isAttack))]),
  );
  const tallies = new Map<string, Tally>(
    RULES.map((rule) => [
      rule.id,
      { truePositives: 0, sharedFalsePositives: 0, generatedFalsePositives: 0, detected: new Set() },
    ]),
  );

  // The labelled shared data.
  const attacks = new Set<string>();
  let records = 0;
  let unresolved = 0;
  let unresolvedAttackRecords = 0;
  for await (const entry of readRecordFiles([SHARED_CLOUDTRAIL])) {
    if (entry.kind !== 'parsed') continue;
    const source = sourceOf(entry.file);
    if (source.startsWith('log-files/')) continue;
    if (isAttack(source)) attacks.add(source);
    records += 1;
    if (!entry.principal.ok) {
      unresolved += 1;
      if (isAttack(source)) unresolvedAttackRecords += 1;
      continue;
    }
    for (const rule of matchingRules(entry.record, entry.principal.principal)) {
      const tally = tallies.get(rule.id)!;
      if (claims.get(rule.id)?.has(source)) {
        tally.truePositives += 1;
        tally.detected.add(source);
      } else tally.sharedFalsePositives += 1;
    }
  }

  // The generated organisation's ordinary traffic: every firing is a false positive.
  const events = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const out = mkdtempSync(join(tmpdir(), 'revoker-bench-quality-'));
  let generated = 0;
  try {
    generate({
      out,
      days: 2,
      events,
      accounts: 2,
      seed: 'detection-quality',
      scenarios: [],
      end: new Date('2026-01-15T12:00:00Z'),
    });
    for await (const entry of readRecordFiles([out])) {
      if (entry.kind !== 'parsed') continue;
      generated += 1;
      if (!entry.principal.ok) continue;
      for (const rule of matchingRules(entry.record, entry.principal.principal))
        tallies.get(rule.id)!.generatedFalsePositives += 1;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }

  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\ndetection-quality: ${RULES.length} rules on ${records} labelled shared records (${attacks.size} attacks, ` +
      `${unresolved} records without a resolvable principal, ${unresolvedAttackRecords} of them an attack's) and ${generated.toLocaleString('en-US')} generated benign events, ${seconds.toFixed(1)} s`,
  );
  console.log(`  goal      every rule at ${GOAL} precision or above, or a written reason`);
  console.log(
    '  rule                                 claims  TP  FP shared  FP generated  FN attacks  precision',
  );
  let truePositives = 0;
  let falsePositives = 0;
  const failing: string[] = [];
  const unclaimed: string[] = [];
  for (const rule of RULES) {
    const tally = tallies.get(rule.id)!;
    const claimed = claims.get(rule.id);
    const fp = tally.sharedFalsePositives + tally.generatedFalsePositives;
    truePositives += tally.truePositives;
    falsePositives += fp;
    const ruleQuality = precision({ truePositives: tally.truePositives, falsePositives: fp });
    const missed = claimed ? [...claimed].filter((attack) => !tally.detected.has(attack)) : [];
    const below = ruleQuality !== undefined && ruleQuality < GOAL;
    let note = '';
    if (!claimed) {
      note = 'no real detonation in the shared data (tested on adjusted records)';
      unclaimed.push(rule.id);
    }
    if (below) {
      const reason = REASONS[rule.id];
      note = reason ? `below goal, reason: ${reason}` : 'FAIL: below goal without a written reason';
      if (!reason) failing.push(rule.id);
    }
    if (missed.length > 0) note = `${note}${note ? '; ' : ''}missed: ${missed.join(', ')}`;
    console.log(
      `  ${rule.id.padEnd(36)} ${String(claimed?.size ?? 0).padStart(6)}  ${String(tally.truePositives).padStart(2)}  ${String(tally.sharedFalsePositives).padStart(9)}  ${String(tally.generatedFalsePositives).padStart(12)}  ${String(missed.length).padStart(10)}  ${(ruleQuality === undefined ? '—' : ruleQuality.toFixed(2)).padStart(9)}${note ? `  ${note}` : ''}`,
    );
  }

  const detected = [...attacks].filter((attack) =>
    RULES.some((rule) => tallies.get(rule.id)!.detected.has(attack)),
  );
  const missedAttacks = [...attacks].filter((attack) => !detected.includes(attack)).sort();
  const overall = precision({ truePositives, falsePositives });
  console.log(
    `  measured  precision ${overall === undefined ? '—' : overall.toFixed(3)} (${truePositives} TP, ${falsePositives} FP over all rules)`,
  );
  console.log(
    `  measured  recall    ${(detected.length / attacks.size).toFixed(3)} (${detected.length} of ${attacks.size} attacks detected by a rule claiming them)`,
  );
  if (missedAttacks.length > 0) console.log(`  missed    ${missedAttacks.join(', ')}`);
  const stale = Object.keys(REASONS).filter((ruleId) => {
    const tally = tallies.get(ruleId);
    const quality =
      tally &&
      precision({
        truePositives: tally.truePositives,
        falsePositives: tally.sharedFalsePositives + tally.generatedFalsePositives,
      });
    return quality === undefined || quality >= GOAL;
  });
  if (stale.length > 0) console.log(`  note      reasons no longer needed: ${stale.join(', ')}`);
  if (failing.length > 0) {
    console.log(`  FAIL      below ${GOAL} precision without a written reason: ${failing.join(', ')}`);
    process.exitCode = 1;
  } else console.log(`  ok        no rule below ${GOAL} precision without a written reason`);

  const data = `${records} labelled shared records (${attacks.size} attacks) + ${generated.toLocaleString('en-US')} generated benign events`;
  const below = RULES.filter((rule) => {
    const tally = tallies.get(rule.id)!;
    const quality = precision({
      truePositives: tally.truePositives,
      falsePositives: tally.sharedFalsePositives + tally.generatedFalsePositives,
    });
    return quality !== undefined && quality < GOAL;
  }).map((rule) => rule.id);
  return [
    {
      bench: 'detection-quality',
      figure: 'precision, all rules',
      data,
      goal: '—',
      measured: `${overall === undefined ? '—' : overall.toFixed(3)} (${truePositives} TP, ${falsePositives} FP)`,
      met: undefined,
    },
    {
      bench: 'detection-quality',
      figure: 'recall, per attack',
      data,
      goal: '—',
      measured: `${(detected.length / attacks.size).toFixed(3)} (${detected.length} of ${attacks.size} attacks; missed: ${missedAttacks.join(', ') || 'none'})`,
      met: undefined,
    },
    {
      bench: 'detection-quality',
      figure: `rules below ${GOAL} precision without a written reason`,
      data,
      goal: 'none',
      measured: `${failing.length === 0 ? 'none' : failing.join(', ')} (below with a reason: ${below.filter((id) => !failing.includes(id)).join(', ') || 'none'})`,
      met: failing.length === 0,
    },
  ];
}
