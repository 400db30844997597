// The local stand-in for the approval signing keys in Secrets Manager: a JSON file (owner-only)
// holding the current key and the previous one, `{"current": {"id", "key"}, "previous": …}`.
// It is read on every use, so `revoker approvals rotate` in another process takes effect at
// once: the current key becomes the previous one (links it signed still work until they
// expire) and a new current key signs from then on; the key before that is gone.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';
import { type SigningKey, SigningKeySchema } from '../domain/approval.ts';
import type { SigningKeys } from '../ports.ts';
import { exclusively } from './file-lock.ts';

/** Where the local approval signing keys are kept, beside the cases. */
export const APPROVAL_KEYS_FILE = 'approval-keys.json';

const KeyFileSchema = z.object({ current: SigningKeySchema, previous: SigningKeySchema.nullable() });
type KeyFile = z.infer<typeof KeyFileSchema>;

export class SigningKeysFileError extends Error {
  override name = 'SigningKeysFileError';
}

/** A new key: a fresh ID and 48 random bytes (64 characters), as the stack generates. */
export function newSigningKey(): SigningKey {
  return {
    id: `local-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`,
    key: randomBytes(48).toString('base64url'),
  };
}

export class FileSigningKeys implements SigningKeys {
  constructor(readonly file: string) {}

  /** The keys in `file`, made (owner-only, one fresh key) when there is none or `fresh` is set. */
  static async open(file: string, options: { fresh?: boolean } = {}): Promise<FileSigningKeys> {
    const keys = new FileSigningKeys(file);
    await exclusively(file, async () => {
      if (!options.fresh && (await keys.read())) return;
      await keys.write({ current: newSigningKey(), previous: null });
    });
    return keys;
  }

  async current(): Promise<SigningKey> {
    return (await this.keys()).current;
  }

  async find(id: string): Promise<SigningKey | null> {
    const { current, previous } = await this.keys();
    return [current, previous].find((key) => key?.id === id) ?? null;
  }

  /** The current key becomes the previous one, a new one becomes current; returns both. */
  rotate(): Promise<KeyFile & { retired: SigningKey | null }> {
    return exclusively(this.file, async () => {
      const { current, previous } = await this.keys();
      const next = { current: newSigningKey(), previous: current };
      await this.write(next);
      return { ...next, retired: previous };
    });
  }

  private async keys(): Promise<KeyFile> {
    const keys = await this.read();
    if (!keys) throw new SigningKeysFileError(`no approval signing keys at ${this.file}`);
    return keys;
  }

  /** The file's keys; null when there is no file. */
  private async read(): Promise<KeyFile | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    let parsed: ReturnType<typeof KeyFileSchema.safeParse>;
    try {
      parsed = KeyFileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = KeyFileSchema.safeParse(undefined);
    }
    // Never echo the file: it holds the keys.
    if (!parsed.success)
      throw new SigningKeysFileError(
        `${this.file} is not {"current": {"id", "key"}, "previous": …} with keys of at least 32 bytes`,
      );
    return parsed.data;
  }

  private async write(keys: KeyFile): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    // Written whole, owner-only, then renamed into place: a reader sees the old keys or the new.
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
