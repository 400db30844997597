// Every deployed function's middy chain, in one place: Powertools Logger (JSON lines with the
// Lambda context), then the step's case events as log lines and CloudWatch metrics (EMF).
// Traces come from Lambda and Step Functions active tracing (template.yaml), not from the
// Powertools Tracer: it would add about 120 KiB to each bundle for SDK subsegments.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { PowertoolsTelemetry } from '../aws/powertools-telemetry.ts';
import { METRICS_NAMESPACE, SERVICE_NAME, type Step } from '../domain/case-events.ts';
import type { Clock } from '../ports.ts';
import { reportCaseEvents } from './case-events.ts';

/**
 * `handler` with the chain. The service and namespace are fixed here, not read from the
 * environment: the template's alarms and dashboard name them.
 */
export function observed<E, R>(
  step: Step,
  handler: (event: E, context: Context) => Promise<R>,
  clock: Clock,
): (event: E, context: Context) => Promise<R> {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const chain = middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(reportCaseEvents(step, new PowertoolsTelemetry(logger, metrics), clock));
  return (event, context) => chain(event, context);
}
