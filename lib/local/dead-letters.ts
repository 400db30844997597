// The local stand-in for the detect function's dead-letter queue: one JSON line per rejected
// event, with the reason and when, appended to a file.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, DeadLetters } from '../ports.ts';

export class FileDeadLetters implements DeadLetters {
  constructor(
    readonly file: string,
    private readonly clock: Clock,
  ) {}

  async send(event: unknown, reason: string): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify({ at: this.clock.now().toISOString(), reason, event })}\n`);
  }
}
