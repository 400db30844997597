// Heartbeat, every five minutes: one call in every trail region, so that each region's logs
// move on even when nothing else happens there. Verification counts silence only once a
// region's delivered logs reach past the cutoff plus the margin; without this, a quiet region
// would never get there. Then the grants' second way to their end: any grant whose schedule
// should have ended it by now and did not (deleted, never fired) has its end started here.
import type { Config } from '../domain/config.ts';
import type { RegionHeartbeat } from '../ports.ts';
import { type GrantEndDependencies, sweepOverdueGrants } from './grant-sweep.ts';

export interface HeartbeatDependencies extends GrantEndDependencies {
  heartbeat: RegionHeartbeat;
  config: Pick<Config, 'verify'>;
}

export interface HeartbeatResult {
  /** The regions where the call was made. */
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
  const regions = [...new Set(deps.config.verify.regions)];
  const [results, sweep] = await Promise.all([
    Promise.allSettled(regions.map((region) => deps.heartbeat.ping(region))),
    sweepOverdueGrants(deps).catch((error: unknown) => ({
      started: [],
      failed: [`the open grants could not be read (${(error as Error).message})`],
    })),
  ]);
  const pinged = regions.filter((_, index) => results[index]!.status === 'fulfilled');
  const failed = regions.flatMap((region, index) => {
    const result = results[index]!;
    if (result.status === 'fulfilled') return [];
    const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
    return [`${region} (${reason})`];
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
