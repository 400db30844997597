// Worker threads for the local commands that read or write many log files (parse, replay,
// generate). Each worker entry is a module of its own named `*-worker.ts`, found next to the
// module that starts it with that module's own extension: `.ts` when the CLI runs TypeScript
// (through tsx, or under vitest), `.js` when it runs built JavaScript. A TypeScript worker needs
// tsx's loader, which it is given; a built one needs nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';

/**
 * How many workers to start: REVOKER_WORKERS when set (0 or 1 keeps everything on the main
 * thread), else one per core; none on a single core, where a worker only adds its start-up.
 */
export function workerCount(): number {
  const configured = process.env.REVOKER_WORKERS;
  if (configured !== undefined && configured !== '') {
    const count = Number(configured);
    if (!Number.isInteger(count) || count < 0)
      throw new Error(`REVOKER_WORKERS must be a whole number (0 or 1: no workers), not ${configured}`);
    return count > 1 ? count : 0;
  }
  const cores = availableParallelism();
  return cores > 1 ? cores : 0;
}

/** The worker entry `<name>-worker` beside the calling module, with the caller's extension. */
export function workerEntry(callerUrl: string, name: string): URL {
  const extension = extname(fileURLToPath(callerUrl));
  return new URL(`./${name}-worker${extension}`, callerUrl);
}

/** tsx's ESM API (`tsx/esm/api`), as its package exports it: its CommonJS twin cannot register hooks here. */
function tsxApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as TsxManifest).exports['./esm/api'].import
    .default;
  return new URL(exported, pathToFileURL(manifest)).href;
}

interface TsxManifest {
  exports: { './esm/api': { import: { default: string } } };
}

/**
 * A worker running `entry`. A TypeScript entry is loaded through tsx, registered inside the
 * worker before the entry is imported (on Node 20 a worker's `--import` comes too late for its
 * own entry); tsx is found from here, so any working directory will do.
 */
export function startWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const bootstrap = `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

interface Reply<Result> {
  id: number;
  result?: Result;
  error?: string;
}

/**
 * A fixed set of workers running one module's task handler (see serveTasks). `run` hands a task
 * to the next idle worker and answers its result; the caller decides the order results are
 * merged in, so the output never depends on which worker finished first.
 */
export class WorkerPool<Task, Result> {
  private readonly idle: Worker[] = [];
  private readonly waiting: {
    task: Task;
    resolve: (result: Result) => void;
    reject: (error: Error) => void;
  }[] = [];
  private readonly pending = new Map<
    number,
    { worker: Worker; resolve: (result: Result) => void; reject: (error: Error) => void }
  >();
  private readonly workers: Worker[] = [];
  private nextId = 0;
  private failure: Error | null = null;

  constructor(entry: URL, size: number, workerData?: unknown) {
    for (let index = 0; index < size; index++) {
      const worker = startWorker(entry, workerData);
      worker.on('message', (reply: Reply<Result>) => this.settle(worker, reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        // Even a clean exit fails the run while the worker holds a task: its answer never comes.
        const holding = [...this.pending.values()].some((pending) => pending.worker === worker);
        if (code !== 0 || holding)
          this.fail(new Error(`a worker (${entry.pathname}) exited with code ${code} before answering`));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  run(task: Task): Promise<Result> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const worker = this.idle.pop()!;
      const { task, resolve, reject } = this.waiting.shift()!;
      const id = this.nextId++;
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, task });
    }
  }

  private settle(worker: Worker, reply: Reply<Result>): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    this.idle.push(worker);
    if (reply.error !== undefined) pending.reject(new Error(reply.error));
    else pending.resolve(reply.result as Result);
    this.dispatch();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const { reject } of [...this.pending.values(), ...this.waiting]) reject(error);
    this.pending.clear();
    this.waiting.length = 0;
  }
}

/** Split `items` into consecutive runs of at most `size`, in order. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Run `work` over consecutive chunks of `items` on `workers` workers of `entry`, and answer the
 * results in the chunks' order. Chunks are small enough that every worker keeps busy to the end.
 */
export async function inChunks<T, Result>(
  entry: URL,
  workers: number,
  items: readonly T[],
  task: (chunk: T[]) => unknown,
): Promise<Result[]> {
  const size = Math.max(1, Math.min(256, Math.ceil(items.length / (workers * 8))));
  const pool = new WorkerPool<unknown, Result>(entry, workers);
  try {
    return await Promise.all(chunked(items, size).map((chunk) => pool.run(task(chunk))));
  } finally {
    await pool.close();
  }
}

/** In a worker entry: answer each task the pool sends with `handle`'s result, or its error. */
export function serveTasks<Task, Result>(handle: (task: Task) => Result | Promise<Result>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread');
  port.on('message', async ({ id, task }: { id: number; task: Task }) => {
    try {
      port.postMessage({ id, result: await handle(task) });
    } catch (error) {
      port.postMessage({
        id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  });
}
