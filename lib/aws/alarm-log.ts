// Alarm lines for the stack's metric filters (`{ $.revokerAlarm = "…" }`). A JSON filter
// pattern matches only a log event that is one JSON object: Lambda's text format prefixes what
// the global console prints (time, request ID, level), so the line goes through Powertools'
// logger, which writes its JSON object straight to stdout.
import { Logger } from '@aws-lambda-powertools/logger';

export function alarmLog(
  logger = new Logger({ serviceName: 'revoker' }),
): (line: Record<string, unknown>) => void {
  return (line) => logger.warn('revoker alarm', line);
}
