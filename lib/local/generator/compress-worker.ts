// Worker entry for parallel-writer.ts: gzips and writes the log files the generator hands it.
import { parentPort, workerData } from 'node:worker_threads';
import { writeLogFile } from './log-writer.ts';

const port = parentPort!;
const { pending } = workerData as { pending: Int32Array };

port.on('message', (message: { path: string; text: string } | 'done') => {
  if (message === 'done') {
    port.postMessage({ done: true });
    return;
  }
  try {
    writeLogFile(message.path, message.text);
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    Atomics.sub(pending, 0, 1);
    Atomics.notify(pending, 0);
  }
});
