// Field values are attacker-chosen: one that names an Object property (`constructor`,
// `__proto__`, `toString`...) must be just another string to every lookup detect makes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const config = await shippedConfig();

/** Every property an object inherits, and a few spelled as service hosts. */
const PROPERTY_NAMES = [
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Function.prototype),
  'prototype',
];
const propertyName = fc.oneof(
  fc.constantFrom(...PROPERTY_NAMES),
  fc.constantFrom(...PROPERTY_NAMES).map((name) => `${name}.amazonaws.com`),
);

describe('detect with field values that name object properties', () => {
  it('never throws: each event is matched, not matched or set aside with a reason', async () => {
    const deadLetters = new RecordingDeadLetters();
    const deps = {
      cases: new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-detect-names-'))),
      workflow: new RecordingWorkflow(),
      clock: new SimulatedClock(new Date('2026-01-15T12:00:00Z')),
      config,
      deadLetters,
    };
    await fc.assert(
      fc.asyncProperty(
        propertyName,
        propertyName,
        fc.constantFrom(...PROPERTY_NAMES),
        fc.constantFrom(...PROPERTY_NAMES),
        async (eventSource, eventName, eventType, identityType) => {
          const base = stolenInstanceCredentialsGrant();
          const record = {
            ...base,
            eventSource,
            eventName,
            eventType,
            eventID: `${eventSource}-${eventName}-${eventType}-${identityType}`,
            userIdentity: { ...base.userIdentity, type: identityType },
            requestParameters: { [eventName]: eventType, userName: eventName, policyArn: eventSource },
          };
          const outcomes = await detect(envelopeFor(record, 'e1'), deps);
          expect(outcomes.length).toBeGreaterThan(0);
          for (const outcome of outcomes) expect(['no-match', 'rejected']).toContain(outcome.status);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives a call whose eventType names an object property the API call’s detail type', () => {
    for (const eventType of PROPERTY_NAMES) {
      const record = stolenInstanceCredentialsGrant({ eventType, eventID: `type-${eventType}` });
      expect(envelopeFor(record, 'e')['detail-type']).toBe('AWS API Call via CloudTrail');
    }
  });
});
