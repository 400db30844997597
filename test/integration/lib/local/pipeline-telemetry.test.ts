// The local pipeline reports each step's case events as the deployed functions do: the
// escalating attack, delivered once in order, told on stderr (`--verbose`) one line per event.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executionNameOf } from '../../../../lib/domain/case.ts';
import type { CaseEvent } from '../../../../lib/domain/case-events.ts';
import { initialAccountState, LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { openLocalPipeline, SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { StderrTelemetry } from '../../../../lib/local/stderr-telemetry.ts';
import type { DetectOutcome } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { escalatingAttack } from '../../../fixtures/escalating-attack.ts';
import { pipelineFilesIn } from '../../../fixtures/pipeline-files.ts';

describe('the local pipeline with telemetry', () => {
  it('reports the case opening, rising, revoked and closed, each with its case and rule', async () => {
    const attack = await escalatingAttack();
    const directory = mkdtempSync(join(tmpdir(), 'revoker-telemetry-'));
    const iam = new LocalIamAccount(join(directory, 'iam.json'));
    await iam.save(initialAccountState(attack.account));
    const events: CaseEvent[] = [];
    const lines: string[] = [];
    const stderr = new StderrTelemetry((line) => lines.push(line));
    const pipeline = await openLocalPipeline({
      logs: attack.logs,
      iamAccountFile: iam.file,
      iam,
      ...(await pipelineFilesIn(directory)),
      config: await shippedConfig(),
      clock: new SimulatedClock(new Date(attack.end.getTime() + 5 * 60_000)),
      telemetry: {
        record: (event) => {
          events.push(event);
          stderr.record(event);
        },
      },
    });
    try {
      const outcomes: DetectOutcome[] = [];
      for (const envelope of attack.envelopes)
        outcomes.push(...((await pipeline.detect(envelope)) as DetectOutcome[]));
      const caseId = (outcomes.find((outcome) => outcome.status === 'opened') as { caseId: string }).caseId;
      await pipeline.workflow.executions.get(executionNameOf(caseId))!.output;

      const ofCase = events.filter((event) => event.caseId === caseId);
      const steps = ofCase.map((event) => `${event.step} ${event.event}`);
      expect(steps[0]).toBe('detect case opened');
      expect(steps).toContain('detect case raised');
      expect(steps).toContain('revoke revoked');
      expect(steps.at(-1)).toBe('close closed');
      for (const event of ofCase) {
        expect(event.execution).toBe(executionNameOf(caseId));
        expect(event.rule).not.toBeNull();
      }
      // One line each on stderr, with what the event counts deployed.
      expect(lines.filter((line) => line.startsWith('revoker detect: case opened'))).toEqual([
        expect.stringMatching(new RegExp(`case=${caseId} .*\\[CasesOpened\\]$`)),
      ]);
      expect(
        lines.some((line) => /^revoker revoke: revoked .*\[RevocationsApplied TimeToDeny=\d+s\]$/.test(line)),
      ).toBe(true);
    } finally {
      await pipeline.close();
    }
  }, 300_000);
});
