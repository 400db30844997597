// Case events as Powertools makes them in Lambda: one JSON log line each (with the function's
// context from injectLambdaContext), and each metric the event counts as its own EMF document on
// stdout, so a metric counted by rule carries exactly the dimensions `service` and `rule` and
// the others `service` alone (what the template's alarms and dashboard name).
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type CaseEvent, metricsOf } from '../domain/case-events.ts';
import type { Telemetry } from '../ports.ts';

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds } as const;

export class PowertoolsTelemetry implements Telemetry {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  record(event: CaseEvent): void {
    const { level, event: message, step, caseId, rule, principal, execution, detail } = event;
    this.logger[level](message, { step, caseId, rule, principal, execution, ...detail });
    for (const point of metricsOf(event)) {
      // One document per point: a single metric is written as soon as it is added.
      const single = this.metrics.singleMetric();
      if (point.rule !== null) single.addDimension('rule', point.rule);
      single.addMetric(point.name, UNITS[point.unit], point.value);
    }
  }
}
