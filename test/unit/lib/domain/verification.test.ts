import { describe, expect, it } from 'vitest';
import { assessVerification } from '../../../../lib/domain/verification.ts';

const cutoff = '2026-01-15T12:00:00Z';
const needed = '2026-01-15T12:05:00Z';
const quiet = { succeeded: 0, denied: 0, lastCall: null };
/** The trigger's region only, its logs reaching `watermark`. */
const east = (watermark: string | null) => [{ region: 'us-east-1', watermark }];

describe('assessVerification', () => {
  it.each([
    ['no logs delivered yet', { ...quiet, watermarks: east(null) }, 'not-yet'],
    ['logs short of cutoff + margin', { ...quiet, watermarks: east('2026-01-15T12:04:59Z') }, 'not-yet'],
    ['logs exactly at cutoff + margin', { ...quiet, watermarks: east(needed) }, 'contained'],
    [
      'only denied calls, logs complete',
      { ...quiet, denied: 3, lastCall: '2026-01-15T12:03:00Z', watermarks: east('2026-01-15T12:07:00Z') },
      'attempts-denied',
    ],
    [
      'only denied calls, logs incomplete',
      { ...quiet, denied: 3, lastCall: '2026-01-15T12:03:00Z', watermarks: east('2026-01-15T12:04:00Z') },
      'not-yet',
    ],
    // A successful call is proof on its own, whatever the watermark.
    [
      'a successful call, logs incomplete',
      { ...quiet, succeeded: 1, lastCall: '2026-01-15T12:01:00Z', watermarks: east('2026-01-15T12:02:00Z') },
      'still-active',
    ],
  ] as const)('%s → %s', (_case, facts, status) => {
    expect(assessVerification(facts, cutoff, needed).status).toBe(status);
  });

  it('says what is missing when it is not yet', () => {
    expect(assessVerification({ ...quiet, watermarks: east(null) }, cutoff, needed).explanation).toContain(
      'silence counts only once they reach 2026-01-15T12:05:00Z',
    );
  });
});
