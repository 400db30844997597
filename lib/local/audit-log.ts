// The local audit log: one JSON line per decision of the operator API, appended under the
// file's lock, read back validated.
import { appendFile, readFile } from 'node:fs/promises';
import { type AuditRecord, AuditRecordSchema } from '../domain/audit.ts';
import type { AuditLog } from '../ports.ts';
import { exclusively } from './file-lock.ts';

export class FileAuditLog implements AuditLog {
  constructor(readonly file: string) {}

  record(entry: AuditRecord): Promise<void> {
    return exclusively(this.file, async () => {
      if ((await this.read()).some((existing) => existing.id === entry.id)) return;
      await appendFile(this.file, `${JSON.stringify(AuditRecordSchema.parse(entry))}\n`);
    });
  }

  async list(since: Date, until: Date): Promise<AuditRecord[]> {
    const within = (entry: AuditRecord) => {
      const at = Date.parse(entry.at);
      return at >= since.getTime() && at <= until.getTime();
    };
    return (await this.read()).filter(within).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  private async read(): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        const parsed = AuditRecordSchema.safeParse(JSON.parse(line));
        if (!parsed.success) throw new Error(`${this.file}: line ${index + 1} is not an audit record`);
        return parsed.data;
      });
  }
}
