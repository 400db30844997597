// Worker entry for record-files.ts: counts (parse) or matches (replay) a run of log files.
import type { ParseSummary } from '../domain/parse-summary.ts';
import type { ReplayItems } from '../usecases/replay.ts';
import { type ReadTask, replayItemsOf, summarizeFileList } from './record-files.ts';
import { serveTasks } from './worker-pool.ts';

serveTasks<ReadTask, ParseSummary | ReplayItems>((task) =>
  task.kind === 'summarize' ? summarizeFileList(task.files) : replayItemsOf(task.files, task.config),
);
