// What each case event counts, and how it reads as one line.
import { describe, expect, it } from 'vitest';
import { type CaseEvent, describeCaseEvent, metricsOf } from '../../../../lib/domain/case-events.ts';

function event(
  name: string,
  detail: CaseEvent['detail'] = {},
  rule: string | null = 'root-user-activity',
): CaseEvent {
  return {
    step: 'close',
    level: 'info',
    event: name,
    caseId: 'case-1',
    rule,
    principal: 'arn:aws:iam::111122223333:root',
    execution: 'case-case-1',
    detail,
  };
}

describe('metricsOf', () => {
  it.each([
    ['case opened', {}, [['CasesOpened', 1]]],
    ['case raised', {}, [['CasesRaised', 1]]],
    ['case joined', {}, []],
    ['escalated', {}, [['CasesEscalated', 1]]],
    [
      'revoked',
      { secondsSinceCall: 42 },
      [
        ['RevocationsApplied', 1],
        ['TimeToDeny', 42],
      ],
    ],
    [
      'closed',
      { outcome: 'contained', secondsSinceCall: 900 },
      [
        ['CasesContained', 1],
        ['TimeToContained', 900],
      ],
    ],
    ['closed', { outcome: 'benign', secondsSinceCall: 900 }, [['CasesBenign', 1]]],
    ['closed', { outcome: 'needs-human', failed: true }, [['CasesFailed', 1]]],
    ['closed', { outcome: 'rejected', failed: false }, []],
    ['verified', { status: 'contained' }, []],
  ] as const)('%s %j counts %j, by rule', (name, detail, expected) => {
    const points = metricsOf(event(name, detail));

    expect(points.map((point) => [point.name, point.value])).toEqual(expected);
    for (const point of points) expect(point.rule).toBe('root-user-activity');
  });

  it('counts dead letters and missed deadlines without a rule, so one alarm watches each', () => {
    expect(metricsOf(event('dead letter', { reason: 'not JSON' }, null))).toEqual([
      { name: 'DeadLetters', unit: 'Count', value: 1, rule: null },
    ]);
    expect(metricsOf(event('decision deadline missed'))).toEqual([
      { name: 'DecisionDeadlinesMissed', unit: 'Count', value: 1, rule: null },
    ]);
  });

  it('names a rule it does not know `unknown` rather than leave the dimension out', () => {
    expect(metricsOf(event('case opened', {}, null))).toEqual([
      { name: 'CasesOpened', unit: 'Count', value: 1, rule: 'unknown' },
    ]);
  });
});

describe('describeCaseEvent', () => {
  it('reads as one line with the case’s fields, leaving empty ones out', () => {
    expect(describeCaseEvent(event('closed', { outcome: 'contained', error: null }))).toBe(
      'revoker close: closed case=case-1 rule=root-user-activity principal=arn:aws:iam::111122223333:root execution=case-case-1 outcome=contained',
    );
  });

  it('quotes text an attacker may have chosen, control characters escaped', () => {
    const line = describeCaseEvent(event('dead letter', { reason: 'bad \u001b[31mred\u001b[0m name' }));

    expect(line).toContain('reason="bad \\u001b[31mred\\u001b[0m name"');
    expect(line).not.toContain('\u001b');
  });
});
