// The local stand-in for Identity Center's identity store and account assignments: a JSON file
// of users by ID, each with their user name and the accounts they are assigned to.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { DirectoryUser, IdentityDirectory } from '../ports.ts';

const DirectoryFileSchema = z.object({
  identityStoreId: z.string(),
  users: z.record(
    z.string(),
    z.object({ userName: z.string(), accountIds: z.array(z.string()).default([]) }),
  ),
});

export class FileIdentityDirectory implements IdentityDirectory {
  constructor(readonly file: string) {}

  async lookUp(identityStoreId: string | null, userId: string): Promise<DirectoryUser | null> {
    const directory = DirectoryFileSchema.parse(JSON.parse(await readFile(this.file, 'utf8')));
    if (identityStoreId !== null && identityStoreId !== directory.identityStoreId) return null;
    return Object.hasOwn(directory.users, userId) ? directory.users[userId]! : null;
  }
}
