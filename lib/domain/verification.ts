// Whether the revoked access is really gone, judged only from logs known to be complete.
export type VerificationStatus = 'contained' | 'still-active' | 'attempts-denied' | 'not-yet';

export interface VerificationFacts {
  /** Latest delivered event time for the account and region, or null when none arrived. */
  watermark: string | null;
  succeeded: number;
  denied: number;
  lastCall: string | null;
}

export interface VerificationAssessment {
  status: VerificationStatus;
  explanation: string;
}

/** Never "contained" before the delivered logs reach past the cutoff plus the margin. */
export function assessVerification(
  facts: VerificationFacts,
  cutoff: string,
  needed: string,
): VerificationAssessment {
  if (facts.succeeded > 0) {
    return {
      status: 'still-active',
      explanation: `${facts.succeeded} calls by the revoked credentials succeeded after the cutoff ${cutoff} (last at ${facts.lastCall}): the access is not gone.`,
    };
  }
  if (facts.watermark === null || facts.watermark < needed) {
    return {
      status: 'not-yet',
      explanation: `Delivered logs reach ${facts.watermark ?? 'nothing yet'}; silence counts only once they reach ${needed} (the cutoff plus the margin).`,
    };
  }
  if (facts.denied > 0) {
    return {
      status: 'attempts-denied',
      explanation: `No call by the revoked credentials succeeded after ${cutoff}; ${facts.denied} were denied (last at ${facts.lastCall}), so someone is still trying. Logs are complete to ${facts.watermark}.`,
    };
  }
  return {
    status: 'contained',
    explanation: `No call by the revoked credentials after ${cutoff}; logs are complete to ${facts.watermark}.`,
  };
}
