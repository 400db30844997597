import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JIT_REQUEST_PATTERN } from '../../../lib/domain/jit.ts';
import { eventBridgeEvents } from '../../../lib/domain/rules.ts';
import { ASL_FILE } from '../../../lib/local/state-machine.ts';
import { handlerSourceOf, loadTemplate } from '../../fixtures/template.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
type Validator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)('asl-validator') as Validator;

const aslText = readFileSync(ASL_FILE, 'utf8');
const asl = JSON.parse(aslText) as { States: Record<string, Record<string, unknown>> };

describe('statemachines/revocation.asl.json', () => {
  it('is valid ASL', () => {
    const result = validateAsl(asl);

    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each(Object.entries(asl.States).filter(([, state]) => state.Type === 'Task'))(
    'task %s has a timeout, a retry naming its errors, and a catch-all into the human path',
    (_name, state) => {
      expect(Number(state.TimeoutSeconds ?? 0) > 0 || typeof state.TimeoutSecondsPath === 'string').toBe(
        true,
      );
      const retry = state.Retry as { ErrorEquals: string[] }[];
      expect(retry.length).toBeGreaterThan(0);
      for (const retrier of retry) expect(retrier.ErrorEquals).not.toContain('States.ALL');
      const catchers = state.Catch as { ErrorEquals: string[]; Next: string }[];
      // Named errors may go their own way first; whatever else fails ends with a human.
      expect(catchers.at(-1)).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'] }));
      expect(['StepFailed', 'CloseFailed']).toContain(catchers.at(-1)!.Next);
    },
  );

  it('waits for the on-call with a heartbeat, a timeout, and an explicit way out of each', () => {
    const escalate = asl.States.Escalate!;
    const payload = (escalate.Parameters as { Payload: Record<string, string> }).Payload;

    expect(escalate.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(payload['taskToken.$']).toBe('$$.Task.Token');
    // The local callback adapter reads both deadlines from the settings in the payload.
    expect(payload['settings.$']).toBe('$.settings');
    // Escalate refuses to page on a decision made before the case was last raised.
    expect(payload['revision.$']).toBe('$.revision');
    expect(escalate.TimeoutSecondsPath).toBe('$.settings.approvalTimeoutSeconds');
    expect(escalate.HeartbeatSecondsPath).toBe('$.settings.acknowledgeTimeoutSeconds');
    expect(
      (escalate.Catch as { ErrorEquals: string[]; Next: string }[]).map((c) => [c.ErrorEquals, c.Next]),
    ).toEqual([
      [['revoker.Rejected'], 'MarkRejected'],
      [['revoker.Raised'], 'Reconsider'],
      [['States.Timeout', 'States.HeartbeatTimeout'], 'ApprovalTimedOut'],
      [['States.ALL'], 'StepFailed'],
    ]);
  });
});

describe('template.yaml', () => {
  const template = loadTemplate();
  const functions = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::Serverless::Function',
  );

  it.each(functions)(
    '%s deploys the build of a handler file that exists and exports handler',
    async (_name, resource) => {
      const entry = handlerSourceOf(resource);

      expect(existsSync(join(ROOT, entry))).toBe(true);
      const module = (await import(join(ROOT, entry))) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
      expect(resource.Properties.Handler).toBe('handler.handler');
    },
  );

  it('supplies every substitution placeholder the ASL uses, and no other', () => {
    const machine = Object.values(template.Resources).find(
      (resource) => resource.Type === 'AWS::Serverless::StateMachine',
    )!;
    const placeholders = [...new Set([...aslText.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]))].sort();

    expect(machine.Properties.DefinitionUri).toBe('statemachines/revocation.asl.json');
    expect(Object.keys(machine.Properties.DefinitionSubstitutions as object).sort()).toEqual(placeholders);
  });

  it('routes just-in-time grant requests to the grant function', () => {
    expect(template.Resources.GrantFunction!.Properties.Events).toEqual({
      GrantRequested: {
        Type: 'EventBridgeRule',
        Properties: { Pattern: { ...JIT_REQUEST_PATTERN, account: [{ Ref: 'AWS::AccountId' }] } },
      },
    });
  });

  it('routes exactly the rule catalog patterns to detect, read-only rules with all management events', () => {
    expect(template.Resources.DetectFunction!.Properties.Events).toEqual(eventBridgeEvents());
    expect(
      Object.values(eventBridgeEvents()).filter(
        (event) => event.Properties.State === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      ).length,
    ).toBeGreaterThan(0);
  });
});
