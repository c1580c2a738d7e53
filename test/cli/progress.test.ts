import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { formatDuration, Progress } from '../../src/util/progress.ts';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let buf = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      buf += String(chunk);
      cb();
    },
  });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => buf };
}

test('off a TTY, progress prints plain lines with the fields and a final "done" line', () => {
  const s = sink();
  const p = new Progress({ label: 'train', total: 10, stream: s.stream, intervalMs: 0 });
  p.update(3, { loss: 0.69314718, 'tok/s': 1500 });
  p.stop();
  const lines = s.text().trim().split('\n');
  assert.match(lines[0]!, /^train 3\/10 loss=0\.6931 tok\/s=1500 eta \d+s$/);
  assert.match(lines.at(-1)!, /^train 3\/10 .* done$/);
});

test('silent progress prints nothing; durations read as h/m/s', () => {
  const s = sink();
  const p = new Progress({ label: 'x', total: 2, stream: s.stream, intervalMs: 0, silent: true });
  p.update(1);
  p.stop();
  assert.equal(s.text(), '');
  assert.deepEqual([formatDuration(5), formatDuration(65), formatDuration(3725)], ['5s', '1m05s', '1h02m']);
});
