// Detect: EventBridge delivers one CloudTrail event; it opens, joins or raises its credential's one open case.
// A malformed event is rejected with its reason (and, deployed, lands in the dead-letter queue).
import middy from '@middy/core';
import { type DetectDependencies, detect } from '../usecases/detect.ts';

export function createDetectHandler(deps: DetectDependencies) {
  return middy(async (event: unknown) => detect(event, deps));
}
