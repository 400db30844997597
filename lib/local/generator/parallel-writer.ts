// Log files compressed and written on worker threads while the generator makes the next ones.
// The generator's random stream is one sequence, so making records stays on one thread; gzip
// and the writes (most of the rest of its time) spread over the workers. Each file is written
// whole by one worker from the text the generator made, so the files are the same bytes a
// single thread writes.
import type { Worker } from 'node:worker_threads';
import { startWorker, workerEntry } from '../worker-pool.ts';
import type { LogSink } from './log-writer.ts';

/** Files handed out but not yet written, at most: memory stays bounded if the workers fall behind. */
const MAX_PENDING = 64;
/** A worker that writes nothing for this long is taken for dead. */
const STALL_MS = 120_000;

export class ParallelLogSink {
  private readonly workers: Worker[];
  private readonly pending = new Int32Array(new SharedArrayBuffer(4));
  private readonly errors: string[] = [];
  private readonly exited = new Set<Worker>();
  private next = 0;

  constructor(count: number) {
    const entry = workerEntry(import.meta.url, 'compress');
    this.workers = Array.from({ length: count }, () => {
      const worker = startWorker(entry, { pending: this.pending });
      worker.on('message', (message: { error?: string }) => {
        if (message.error) this.errors.push(message.error);
      });
      worker.on('error', (error) => this.errors.push(error.stack ?? error.message));
      worker.on('exit', () => this.exited.add(worker));
      return worker;
    });
  }

  /** Hand a file to the next worker in turn, waiting while too many are still being written. */
  readonly sink: LogSink = (path, text) => {
    while (Atomics.load(this.pending, 0) >= MAX_PENDING) {
      const seen = Atomics.load(this.pending, 0);
      if (Atomics.wait(this.pending, 0, seen, STALL_MS) === 'timed-out')
        throw new Error(`log files not written for ${STALL_MS / 1000} s: a compressing worker stalled`);
    }
    Atomics.add(this.pending, 0, 1);
    this.workers[this.next++ % this.workers.length]!.postMessage({ path, text });
  };

  /** Wait until every file handed out is written, stop the workers, and fail if any write did. */
  async close(): Promise<void> {
    try {
      await Promise.all(
        this.workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const died = () =>
                reject(new Error(`a compressing worker stopped: ${this.errors[0] ?? 'no reason given'}`));
              if (this.exited.has(worker)) return died();
              worker.on('message', (message: { done?: boolean }) => {
                if (message.done) resolve();
              });
              worker.on('exit', died);
              worker.postMessage('done');
            }),
        ),
      );
    } finally {
      await Promise.all(this.workers.map((worker) => worker.terminate()));
    }
    if (this.errors.length > 0) throw new Error(`writing log files failed: ${this.errors[0]}`);
  }
}
