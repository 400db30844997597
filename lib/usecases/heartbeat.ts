// Heartbeat, every five minutes: one call in every trail region of every account revoker acts
// in, so that each region's logs move on even when nothing else happens there. Verification counts silence only once a
// region's delivered logs reach past the cutoff plus the margin; without this, a quiet region
// would never get there. Then the grants' second way to their end: any grant whose schedule
// should have ended it by now and did not (deleted, never fired) has its end started here.
import { type Accounts, heartbeatAccounts } from '../domain/accounts.ts';
import type { Config } from '../domain/config.ts';
import type { RegionHeartbeat } from '../ports.ts';
import { type GrantEndDependencies, sweepOverdueGrants } from './grant-sweep.ts';

export interface HeartbeatDependencies extends GrantEndDependencies {
  heartbeat: RegionHeartbeat;
  config: Pick<Config, 'verify'> & { accounts?: Accounts | undefined };
  /** The stack's own account. */
  homeAccountId: string;
  /**
   * Where the stack runs, and whether its accounts' us-east-1 events are forwarded to it: IAM,
   * STS and Organizations events reach EventBridge only in us-east-1, so elsewhere, without
   * forwarding, the rules on them never fire. Each heartbeat then raises the alarm line.
   */
  globalEvents?: { region: string; forwarded: boolean };
  alarm?: (line: Record<string, unknown>) => void;
}

/** IAM, STS and Organizations events reach EventBridge in this region only. */
export const GLOBAL_EVENTS_REGION = 'us-east-1';

export interface HeartbeatResult {
  /** Where the call was made: each region, with its account when revoker acts in more than one. */
  pinged: string[];
  /** The grants whose end the heartbeat started: their schedule had not. */
  grantsEnded: string[];
}

/** Some regions were not reached, or some overdue grant not ended; the rest was done. Thrown so the function's error alarm pages. */
export class HeartbeatFailedError extends Error {
  override name = 'HeartbeatFailedError';
}

/** Calls each configured region at once, then sweeps the grants; a failure in one never stops the others. */
export async function heartbeat(deps: HeartbeatDependencies): Promise<HeartbeatResult> {
  const { globalEvents } = deps;
  if (globalEvents && globalEvents.region !== GLOBAL_EVENTS_REGION && !globalEvents.forwarded)
    deps.alarm?.({
      revokerAlarm: 'GlobalEventsUnseen',
      region: globalEvents.region,
      message: `revoker runs in ${globalEvents.region}, but IAM, STS and Organizations events reach EventBridge only in ${GLOBAL_EVENTS_REGION}: deploy member.yaml to ${GLOBAL_EVENTS_REGION} in every account (this one included), then set the stack's GlobalEventsForwarded to true`,
    });
  const regions = [...new Set(deps.config.verify.regions)];
  const accounts = heartbeatAccounts(deps.config.accounts, deps.homeAccountId);
  const targets = accounts.flatMap((accountId) =>
    regions.map((region) => ({
      accountId,
      region,
      name: accounts.length > 1 ? `${accountId}/${region}` : region,
    })),
  );
  const [results, sweep] = await Promise.all([
    Promise.allSettled(targets.map((target) => deps.heartbeat.ping(target.region, target.accountId))),
    sweepOverdueGrants(deps).catch((error: unknown) => ({
      started: [],
      failed: [`the open grants could not be read (${(error as Error).message})`],
    })),
  ]);
  const pinged = targets
    .filter((_, index) => results[index]!.status === 'fulfilled')
    .map((target) => target.name);
  const failed = targets.flatMap((target, index) => {
    const result = results[index]!;
    if (result.status === 'fulfilled') return [];
    const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
    return [`${target.name} (${reason})`];
  });
  const problems = [
    ...(failed.length > 0
      ? [
          `heartbeat failed in ${failed.join(', ')}; ${pinged.length > 0 ? `sent in ${pinged.join(', ')}` : 'sent in no region'}. Where the logs stop moving, verification cannot count silence as containment.`,
        ]
      : []),
    ...(sweep.failed.length > 0
      ? [
          `overdue grants not ended: ${sweep.failed.join('; ')}. Their policy stays attached until their end starts.`,
        ]
      : []),
  ];
  if (problems.length > 0) throw new HeartbeatFailedError(problems.join(' '));
  return { pinged, grantsEnded: sweep.started };
}
