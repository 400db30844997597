// A cached listing of every file below a directory, refreshed by looking only at what changed.
// Adding, removing or renaming an entry changes its directory's modification time, so a
// refresh stats each directory and reads again only those whose time moved. A directory
// modified within SETTLE_MILLIS of being read is read again on every refresh until it
// settles: file-system clocks are coarse (a tick of milliseconds, a whole second on some
// file systems), so a second change in the same tick would not move the time.
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const SETTLE_MILLIS = 2_000;

interface DirectoryListing {
  mtimeMs: number;
  ctimeMs: number;
  /** Wall-clock time just before the directory was read. */
  readAt: number;
  files: string[];
  directories: string[];
}

export class TreeListing {
  private readonly directories = new Map<string, DirectoryListing>();
  /** The last answer, returned again (the same array) while no directory changed. */
  private last: string[] | null = null;

  constructor(private readonly root: string) {}

  /**
   * Every file (or symbolic link, not followed) below the root, sorted; the root itself when
   * it is a file. The same set as `listFiles([root])`, but a refresh of an unchanged tree
   * costs one stat per directory rather than a read of every directory. While no directory
   * changed, the answer is the same array as the last one.
   */
  async files(): Promise<string[]> {
    const rootStats = await stat(this.root);
    if (!rootStats.isDirectory()) {
      this.directories.clear();
      if (this.last?.length !== 1 || this.last[0] !== this.root) this.last = [this.root];
      return this.last;
    }
    const found: string[] = [];
    const visited = new Set<string>();
    const change = { read: false };
    await this.visit(this.root, rootStats, found, visited, change);
    // A directory gone from the tree is forgotten, so one made again in its place is read.
    for (const directory of this.directories.keys()) {
      if (!visited.has(directory)) {
        this.directories.delete(directory);
        change.read = true;
      }
    }
    if (change.read || this.last === null) this.last = found.sort();
    return this.last;
  }

  private async visit(
    directory: string,
    stats: Stats,
    found: string[],
    visited: Set<string>,
    change: { read: boolean },
  ): Promise<void> {
    visited.add(directory);
    let listing = this.directories.get(directory);
    const unchanged =
      listing !== undefined &&
      listing.mtimeMs === stats.mtimeMs &&
      listing.ctimeMs === stats.ctimeMs &&
      stats.mtimeMs < listing.readAt - SETTLE_MILLIS;
    if (!unchanged) {
      const readAt = Date.now();
      const entries = await readdir(directory, { withFileTypes: true });
      listing = {
        mtimeMs: stats.mtimeMs,
        ctimeMs: stats.ctimeMs,
        readAt,
        files: entries
          .filter((entry) => entry.isFile() || entry.isSymbolicLink())
          .map((entry) => join(directory, entry.name)),
        directories: entries
          .filter((entry) => entry.isDirectory())
          .map((entry) => join(directory, entry.name)),
      };
      this.directories.set(directory, listing);
      change.read = true;
    }
    found.push(...listing!.files);
    await Promise.all(
      listing!.directories.map(async (child) => {
        let childStats: Stats;
        try {
          childStats = await stat(child);
        } catch {
          // Removed since its parent was read: the parent's time has moved, so the next
          // refresh reads the parent again.
          return;
        }
        if (childStats.isDirectory()) await this.visit(child, childStats, found, visited, change);
      }),
    );
  }
}
