// The local stand-in for the audit bucket: each object a file under the archive directory, at
// its key. Create-only, as the bucket's `If-None-Match: *` write is: the file is written beside
// its place, fsynced, then linked in — a link fails when the name exists, so an object already
// archived stays as it was, and a reader never sees half a file.
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { type ArchiveObject, type CaseArchive, CaseArchiveError } from '../ports.ts';

export class FileCaseArchive implements CaseArchive {
  constructor(readonly directory: string) {}

  async put(object: ArchiveObject): Promise<'archived' | 'already-archived'> {
    const path = this.pathOf(object.key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    const handle = await open(temporary, 'w', 0o644);
    try {
      await handle.writeFile(object.body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, path);
      return 'archived';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'already-archived';
      throw new CaseArchiveError(`could not archive ${path}: ${(error as Error).message}`, { cause: error });
    } finally {
      await unlink(temporary);
    }
  }

  /** Keys come from case IDs and dates; still, none may reach outside the directory. */
  private pathOf(key: string): string {
    const root = resolve(this.directory);
    const path = resolve(join(root, key));
    if (!path.startsWith(root + sep)) throw new CaseArchiveError(`archive key ${key} leaves ${root}`);
    return path;
  }
}
