// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target.
// A reader sees the old content or the new, never half of either.
import { open, rename } from 'node:fs/promises';

export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temporary, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
