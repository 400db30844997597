// Revoke (thin): deny the role's sessions issued before now, snapshot what was there, and
// read the change back until IAM shows it (IAM is eventually consistent).
import { z } from 'zod';
import { type Config, isProtected } from '../domain/config.ts';
import { revocationPolicyName, revokeOlderSessionsPolicy } from '../domain/revocation/policies.ts';
import { toInstant } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import { openCaseEntry } from './case-audit.ts';

export const RevokeInputSchema = z.object({ caseId: z.string().min(1), trigger: TriggerSchema });
export type RevokeInput = z.infer<typeof RevokeInputSchema>;

export interface RevokeDependencies {
  iam: IamGateway;
  config: Config;
  clock: Clock;
  cases: CaseStore;
  /** How long to keep reading back before giving up; IAM usually converges in seconds. */
  readBackDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Revocation {
  mode: Config['mode'];
  applied: boolean;
  cutoff: string;
  roleName: string;
  policyName: string;
  before: string | null;
  after: string;
}

export class ProtectedPrincipalError extends Error {
  override name = 'ProtectedPrincipalError';
}

export class ReadBackTimeoutError extends Error {
  override name = 'ReadBackTimeoutError';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function revoke(input: RevokeInput, deps: RevokeDependencies): Promise<Revocation> {
  const { target } = input.trigger;
  // The decision already checked this; check again at the point of action (fail closed).
  const protection = isProtected(target.roleArn, deps.config);
  if (protection)
    throw new ProtectedPrincipalError(
      `${target.roleArn} is protected (matches ${protection}); a human must decide`,
    );

  const cutoff = toInstant(deps.clock.now());
  const policyName = revocationPolicyName(input.caseId);
  const after = revokeOlderSessionsPolicy(cutoff);
  const before = (await deps.iam.getRolePolicy(target.roleName, policyName))?.document ?? null;
  const revocation: Revocation = {
    mode: deps.config.mode,
    applied: deps.config.mode === 'enforce',
    cutoff,
    roleName: target.roleName,
    policyName,
    before,
    after,
  };
  if (revocation.applied) {
    await deps.iam.putRolePolicy({ roleName: target.roleName, policyName, document: after });
    await readBack(deps, target.roleName, policyName, after);
  }
  await deps.cases.append(input.caseId, openCaseEntry(input.caseId, input.trigger, deps.clock), {
    at: cutoff,
    step: 'revoke',
    summary: revocation.applied
      ? `Denied every session of ${target.roleArn} issued before ${cutoff} (inline policy ${policyName}).`
      : `Dry run: would deny every session of ${target.roleArn} issued before ${cutoff} (inline policy ${policyName}).`,
    detail: revocation,
  });
  return revocation;
}

async function readBack(
  deps: RevokeDependencies,
  roleName: string,
  policyName: string,
  expected: string,
): Promise<void> {
  const sleep = deps.sleep ?? defaultSleep;
  const deadline = Date.now() + (deps.readBackDeadlineMs ?? 30_000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    const current = await deps.iam.getRolePolicy(roleName, policyName);
    if (current && JSON.stringify(JSON.parse(current.document)) === JSON.stringify(JSON.parse(expected)))
      return;
    if (Date.now() + delay > deadline) {
      throw new ReadBackTimeoutError(
        `IAM did not show policy ${policyName} on role ${roleName} before the deadline`,
      );
    }
    await sleep(delay);
  }
}
