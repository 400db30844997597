// Case events locally (`--verbose`): the events the deployed functions log and count, one line
// each on stderr, so they never mix with a command's output on stdout.
import { type CaseEvent, describeCaseEvent, metricsOf } from '../domain/case-events.ts';
import type { Telemetry } from '../ports.ts';

export class StderrTelemetry implements Telemetry {
  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  record(event: CaseEvent): void {
    // As deployed at the default log level: events no rule matched are not shown.
    if (event.level === 'debug') return;
    const counted = metricsOf(event).map(
      (point) => `${point.name}${point.unit === 'Seconds' ? `=${point.value}s` : ''}`,
    );
    this.write(`${describeCaseEvent(event)}${counted.length > 0 ? ` [${counted.join(' ')}]` : ''}`);
  }
}
