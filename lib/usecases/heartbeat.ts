// Heartbeat: one call in every trail region, so that each region's logs move on even when
// nothing else happens there. Verification counts silence only once a region's delivered logs
// reach past the cutoff plus the margin; without this, a quiet region would never get there.
import type { Config } from '../domain/config.ts';
import type { RegionHeartbeat } from '../ports.ts';

export interface HeartbeatDependencies {
  heartbeat: RegionHeartbeat;
  config: Pick<Config, 'verify'>;
}

export interface HeartbeatResult {
  /** The regions where the call was made. */
  pinged: string[];
}

/** Some regions were not reached; the others were. Thrown so the function's error alarm pages. */
export class HeartbeatFailedError extends Error {
  override name = 'HeartbeatFailedError';
}

/** Calls each configured region at once; a failure in one never stops the others. */
export async function heartbeat(deps: HeartbeatDependencies): Promise<HeartbeatResult> {
  const regions = [...new Set(deps.config.verify.regions)];
  const results = await Promise.allSettled(regions.map((region) => deps.heartbeat.ping(region)));
  const pinged = regions.filter((_, index) => results[index]!.status === 'fulfilled');
  const failed = regions.flatMap((region, index) => {
    const result = results[index]!;
    if (result.status === 'fulfilled') return [];
    const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
    return [`${region} (${reason})`];
  });
  if (failed.length > 0) {
    throw new HeartbeatFailedError(
      `heartbeat failed in ${failed.join(', ')}; ${pinged.length > 0 ? `sent in ${pinged.join(', ')}` : 'sent in no region'}. Where the logs stop moving, verification cannot count silence as containment.`,
    );
  }
  return { pinged };
}
