// The local stand-in for EventBridge Scheduler: one file per one-time schedule. Nothing runs by
// itself locally; `revoker jit expire-due` (or a test) asks which schedules are due on the
// clock and delivers their events, as the scheduler would have, once each.
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, ScheduleInPastError, type Scheduler } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';

export interface DueEvent {
  name: string;
  at: string;
  /** The event as EventBridge would deliver it to a rule's target. */
  event: { version: '0'; id: string; source: string; 'detail-type': string; time: string; detail: unknown };
}

const NAME = /^[\w.-]{1,64}$/;

export class FileScheduler implements Scheduler {
  /** With a clock, a time already past is refused, as EventBridge Scheduler refuses it. */
  constructor(
    private readonly directory: string,
    private readonly clock?: Clock,
  ) {}

  async scheduleOnce(
    name: string,
    at: Date,
    event: { source: string; detailType: string; detail: unknown },
  ): Promise<void> {
    if (!NAME.test(name))
      throw new Error(`schedule name ${JSON.stringify(name)} is not [A-Za-z0-9._-]{1,64}`);
    if (this.clock && Math.floor(at.getTime() / 1000) <= Math.floor(this.clock.now().getTime() / 1000))
      throw new ScheduleInPastError(`schedule ${name} is for ${at.toISOString()}, which has passed`);
    await mkdir(this.directory, { recursive: true });
    if ((await readdir(this.directory)).some((file) => file.startsWith(`${name}.`))) return;
    const due: DueEvent = {
      name,
      at: at.toISOString(),
      event: {
        version: '0',
        id: `schedule-${name}`,
        source: event.source,
        'detail-type': event.detailType,
        time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        detail: event.detail,
      },
    };
    await writeFileAtomic(join(this.directory, `${name}.pending.json`), JSON.stringify(due, null, 2));
  }

  /** The schedules due at `now`, earliest first, not yet delivered. */
  async due(now: Date): Promise<DueEvent[]> {
    let files: string[];
    try {
      files = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const pending = await Promise.all(
      files
        .filter((file) => file.endsWith('.pending.json'))
        .map(async (file) => JSON.parse(await readFile(join(this.directory, file), 'utf8')) as DueEvent),
    );
    return pending
      .filter((entry) => Date.parse(entry.at) <= now.getTime())
      .sort((a, b) => (a.at < b.at ? -1 : 1));
  }

  /** Mark a schedule delivered: it is never due again. */
  async delivered(name: string): Promise<void> {
    await rename(
      join(this.directory, `${name}.pending.json`),
      join(this.directory, `${name}.delivered.json`),
    );
  }
}
