// The escalating attack through the whole local pipeline: detect, the real state machine,
// DuckDB over the generated logs, the file-backed IAM account and case store. Its calls are
// delivered 1,000 times, duplicated, shuffled and partly concurrent, as EventBridge may: one
// case, raised from notify-only to its worst call, revoked — each planned IAM change made once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf, executionNameOf } from '../../../../lib/domain/case.ts';
import type { RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { initialAccountState, LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { type LocalPipeline, openLocalPipeline, SimulatedClock } from '../../../../lib/local/pipeline.ts';
import type { DetectOutcome } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import {
  deliverShuffled,
  type EscalatingAttack,
  escalatingAttack,
} from '../../../fixtures/escalating-attack.ts';
import { pipelineFilesIn } from '../../../fixtures/pipeline-files.ts';

/** The local account, counting the changes it is asked to make. */
class CountingIam extends LocalIamAccount {
  performed: RevocationAction[] = [];
  override async perform(accountId: string, action: RevocationAction): Promise<void> {
    this.performed.push(action);
    await super.perform(accountId, action);
  }
}

let attack: EscalatingAttack;
let pipeline: LocalPipeline;
let iam: CountingIam;

beforeAll(async () => {
  attack = await escalatingAttack();
  const directory = mkdtempSync(join(tmpdir(), 'revoker-pipeline-'));
  iam = new CountingIam(join(directory, 'iam.json'));
  await iam.save(initialAccountState(attack.account));
  pipeline = await openLocalPipeline({
    logs: attack.logs,
    iamAccountFile: iam.file,
    iam,
    ...(await pipelineFilesIn(directory)),
    config: await shippedConfig(),
    // After the logs end: verification finds them not yet complete past the cutoff, and the case
    // ends with a human (no log delivery is simulated here), without waiting for one.
    clock: new SimulatedClock(new Date(attack.end.getTime() + 5 * 60_000)),
  });
});

afterAll(async () => {
  await pipeline.close();
});

describe('the local pipeline, given the escalating attack 1,000 times over', () => {
  it("opens one case, stands at the attack's worst call, revokes the key once and never repeats a change", async () => {
    const outcomes = await deliverShuffled(
      attack.envelopes,
      1000,
      'pipeline-deliveries',
      async (envelope) => (await pipeline.detect(envelope)) as DetectOutcome[],
    );
    const opened = outcomes.filter((outcome) => outcome.status === 'opened');
    expect(opened).toHaveLength(1);
    const caseId = (opened[0] as { caseId: string }).caseId;
    await pipeline.workflow.executions.get(executionNameOf(caseId))!.output;

    expect(pipeline.workflow.executions.size).toBe(1);
    const record = (await pipeline.cases.get(caseId))!;
    // Whichever delivery came first opened it; the case stands at the attack's worst either way.
    expect(attack.truth.calls.flatMap((call) => call.rules)).toContain(record.header.trigger.ruleId);
    expect(record.header.standing).toMatchObject({ severity: 'critical', response: 'auto-revoke' });
    expect(entriesOf(record, 'raise').length).toBeGreaterThanOrEqual(1);
    // Revoked: the user denied everything, its key deactivated.
    const bob = (await iam.load()).users[attack.truth.userName]!;
    expect(Object.keys(bob.inlinePolicies)).toContain('revoker-revocation');
    expect(bob.accessKeys.find((key) => key.accessKeyId === attack.truth.accessKeyId)?.status).toBe(
      'Inactive',
    );
    // Each change the first revocation planned was made once; later rounds found them made.
    const [first] = entriesOf(record, 'revoke-intent');
    expect(iam.performed).toEqual(first!.detail.actions);
    const applied = entriesOf(record, 'iam-change').filter((entry) => entry.detail.status === 'applied');
    expect(applied.map((entry) => entry.detail.action)).toEqual(iam.performed);
  }, 300_000);
});
