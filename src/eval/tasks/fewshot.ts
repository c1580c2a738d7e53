/**
 * Few-shot prompts as lm-eval 0.4.7 builds them (ContextSampler.get_context, ConfigurableTask.fewshot_context):
 *   context = description + Σ_examples (text + target_delimiter + target + fewshot_delimiter) + text(doc)
 * where a numeric text is a choice index (Winogrande: the context is then built per choice by the caller),
 * and a numeric target is the gold choice's text. The default sampler draws with one
 * `random.Random(seed).sample(fewshot_docs, n)` per evaluated document, in document order; when the
 * few-shot split is the evaluated split (by lm-eval's config comparison, which also holds when both are
 * unset) it draws n + 1 and drops the document itself. `first_n` takes the first n rows (MMLU).
 */
import { PoetError } from '../../util/errors.ts';
import { PythonRandom } from './python_random.ts';
import type { Doc, TaskSpec } from './types.ts';

/** "text + delimiter + target" of one labelled example. */
export function labeledExample(spec: TaskSpec, doc: Doc): string {
  const text = spec.docToText(doc);
  const target = spec.docToTarget(doc);
  const choices = spec.docToChoice?.(doc);
  const textStr = typeof text === 'number' ? choices![text]! : text;
  const targetStr = typeof target === 'number' && choices ? choices[target]! : String(target);
  return targetStr === '' ? textStr : textStr + spec.targetDelimiter + targetStr;
}

export class FewshotSampler {
  private readonly rnd: PythonRandom;
  private readonly keys: string[];

  constructor(
    private readonly spec: TaskSpec,
    private readonly docs: Doc[],
    seed: number,
  ) {
    this.rnd = new PythonRandom(seed);
    this.keys = docs.map((d) => JSON.stringify(d));
  }

  /** The labelled-examples block (ends with the few-shot delimiter), '' for zero shots. */
  context(doc: Doc, n: number): string {
    if (n === 0) return '';
    const sameSplit = this.spec.fewshotSplit === this.spec.testSplit;
    const draw = sameSplit ? n + 1 : n;
    if (draw > this.docs.length) {
      throw new PoetError(
        `${this.spec.name}: ${n} few-shot examples requested but the few-shot split has only ${this.docs.length} row(s)` +
          ` (lower --num_fewshot)`,
      );
    }
    const idx = this.spec.sampler === 'first_n' ? [...Array(draw).keys()] : this.rnd.sample([...Array(this.docs.length).keys()], draw);
    const self = JSON.stringify(doc);
    const chosen = idx.filter((i) => this.keys[i] !== self).slice(0, n);
    return chosen.map((i) => labeledExample(this.spec, this.docs[i]!) + this.spec.fewshotDelimiter).join('');
  }
}

/** The prompt prefix before the document's own text: description + labelled examples. */
export function promptPrefix(spec: TaskSpec, sampler: FewshotSampler | undefined, doc: Doc, n: number): string {
  return (spec.description?.(doc) ?? '') + (sampler ? sampler.context(doc, n) : '');
}
