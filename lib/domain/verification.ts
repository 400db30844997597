// Whether the revoked access is really gone, judged only from logs known to be complete.
import { plural } from './words.ts';

export type VerificationStatus = 'contained' | 'still-active' | 'attempts-denied' | 'not-yet';

export interface VerificationFacts {
  /**
   * Each region whose logs must be complete — every region of the trail, the trigger's, and
   * every region where the revoked credentials were active — with the latest delivered event
   * time there (null when nothing arrived).
   */
  watermarks: { region: string; watermark: string | null }[];
  succeeded: number;
  denied: number;
  lastCall: string | null;
}

/** What one verification attempt found, as the case records it and the state machine reads it. */
export interface Verification {
  status: VerificationStatus;
  attempt: number;
  /** Whether the state machine should wait and try again. */
  retry: boolean;
  explanation: string;
  watermarks: VerificationFacts['watermarks'];
  succeeded: number;
  denied: number;
}

export interface VerificationAssessment {
  status: VerificationStatus;
  explanation: string;
}

/** Never "contained" before the delivered logs reach past the cutoff plus the margin everywhere. */
export function assessVerification(
  facts: VerificationFacts,
  cutoff: string,
  needed: string,
): VerificationAssessment {
  if (facts.succeeded > 0) {
    return {
      status: 'still-active',
      explanation: `${plural(facts.succeeded, 'call')} by the revoked credentials succeeded after the cutoff ${cutoff} (last at ${facts.lastCall}): the access is not gone.`,
    };
  }
  const lagging = facts.watermarks.filter((region) => region.watermark === null || region.watermark < needed);
  if (lagging.length > 0 || facts.watermarks.length === 0) {
    const reach = lagging
      .map((region) => `${region.region} to ${region.watermark ?? 'nothing yet'}`)
      .join(', ');
    return {
      status: 'not-yet',
      explanation: `${reach ? `Delivered logs lag in ${reach}` : 'No region to check'}; silence counts only once they reach ${needed} (the cutoff plus the margin) in every region of the trail, whether or not the credentials were seen there.`,
    };
  }
  const complete = facts.watermarks.map((region) => region.region).join(', ');
  if (facts.denied > 0) {
    return {
      status: 'attempts-denied',
      explanation: `No call by the revoked credentials succeeded after ${cutoff}; ${facts.denied === 1 ? '1 was' : `${facts.denied} were`} denied (last at ${facts.lastCall}), so someone is still trying. Logs are complete past ${needed} in ${complete}.`,
    };
  }
  return {
    status: 'contained',
    explanation: `No call by the revoked credentials after ${cutoff}; logs are complete past ${needed} in ${complete}.`,
  };
}
