// `npm run bench`: runs every bench/*.bench.ts in turn. Each prints its own ratio against a
// baseline measured in the same run, so results compare across machines.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
for (const file of readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts'))
  .sort()) {
  if (only && !file.includes(only)) continue;
  const module = (await import(join(here, file))) as { run: () => Promise<void> };
  await module.run();
}
