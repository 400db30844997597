// Read-modify-write of a local file, one writer at a time: queued behind this process's
// earlier turns on the same file, then holding a lock file against other processes (the demo's
// execution in one, `revoker approve` in another). A lock left by a process that died is broken
// once it is old enough.
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

export class FileLockedError extends Error {
  override name = 'FileLockedError';
}

const turns = new Map<string, Promise<unknown>>();

/** Run `work` as the only writer of `path`, in this process and across processes. */
export function exclusively<T>(path: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(path) ?? Promise.resolve();
  const turn = previous.then(async () => {
    await mkdir(dirname(path), { recursive: true });
    return withLockFile(`${path}.lock`, work);
  });
  const settled = turn.catch(() => undefined);
  turns.set(path, settled);
  void settled.then(() => {
    if (turns.get(path) === settled) turns.delete(path);
  });
  return turn;
}

async function withLockFile<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const giveUp = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lockFile, 'wx')).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(lockFile).catch(() => null);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await unlink(lockFile).catch(() => undefined);
      else if (Date.now() > giveUp) throw new FileLockedError(`${lockFile} is held by another process`);
      else await sleep(5);
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lockFile);
  }
}
