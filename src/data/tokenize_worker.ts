/**
 * Worker thread for the preference pipeline: loads the tokenizer once, then answers chunk messages
 * `{ id, examples }` with `{ id, results, shortcutUsed, shortcutDisabledReason }`, transferring the id
 * buffers. Started by prepare.ts with `execArgv: ['--import', 'tsx']`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadJobTokenizer, makePairJob } from './pair_job.ts';
import type { PairJobConfig } from './pair_job.ts';
import type { PreferenceExample } from './types.ts';

const cfg = workerData as PairJobConfig;
const port = parentPort!;
const job = makePairJob(await loadJobTokenizer(cfg), cfg);
port.on('message', (msg: { id: number; examples: PreferenceExample[] }) => {
  try {
    const results = job.run(msg.examples);
    const transfer: ArrayBuffer[] = [];
    for (const r of results) if ('pair' in r) transfer.push(r.pair.chosenIds.buffer as ArrayBuffer, r.pair.rejectedIds.buffer as ArrayBuffer);
    port.postMessage({ id: msg.id, results, shortcutUsed: job.encoder.shortcutUsed, shortcutDisabledReason: job.encoder.shortcutDisabledReason }, transfer);
  } catch (e) {
    port.postMessage({ id: msg.id, fatal: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
