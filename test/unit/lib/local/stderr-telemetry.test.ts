// Case events locally: one line each for a person, with what it counts deployed.
import { describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../../../lib/domain/case-events.ts';
import { StderrTelemetry } from '../../../../lib/local/stderr-telemetry.ts';

const closed: CaseEvent = {
  step: 'close',
  level: 'info',
  event: 'closed',
  caseId: 'case-1',
  rule: 'root-user-activity',
  principal: null,
  execution: 'case-case-1',
  detail: { outcome: 'contained', secondsSinceCall: 900 },
};

describe('StderrTelemetry', () => {
  it('writes each event as a line, with the metrics it counts deployed', () => {
    const lines: string[] = [];
    const telemetry = new StderrTelemetry((line) => lines.push(line));

    telemetry.record(closed);
    telemetry.record({
      ...closed,
      level: 'debug',
      event: 'no match',
      detail: { reason: 'GetRole matched no rule' },
    });

    expect(lines).toEqual([
      'revoker close: closed case=case-1 rule=root-user-activity execution=case-case-1 outcome=contained secondsSinceCall=900 [CasesContained TimeToContained=900s]',
    ]);
  });
});
