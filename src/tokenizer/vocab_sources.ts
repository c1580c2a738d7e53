/**
 * Real vocabularies recovered from npm packages that ship them (ecosystem.md §1): no network, no
 * model download. Each function returns the base vocabulary (index = token id) and the BPE merges
 * in priority order, as HF `tokenizer.json` stores them ("left right").
 *
 * The packages are imported lazily: llama3-tokenizer-js alone is 13 MB of JavaScript.
 */
import { bytesToTokenString } from './byte_level.ts';

export interface BpeVocabulary {
  /** vocab[id] = token string of the model vocabulary (added/special tokens excluded). */
  vocab: string[];
  /** merges in rank order, each "left right" (HF's legacy merge format). */
  merges: string[];
}

/** Merges stored by the belladore-style packages: Map "left right" → priority (ascending). */
function mergesInPriorityOrder(merges: Map<string, number>): string[] {
  return [...merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
}

/**
 * GPT-2 from js-tiktoken's `gpt2` ranks. tiktoken stores only ranks (bytes → rank); the merges
 * are recovered the way HF's TikTokenConverter did originally: for each multi-byte token in rank
 * order, run byte-pair merging restricted to ranks below the token's own rank; it must end in
 * exactly two parts, and those two parts are the merge that creates the token.
 */
export async function gpt2Vocabulary(): Promise<BpeVocabulary> {
  const { default: ranksFile } = await import('js-tiktoken/ranks/gpt2');
  // Lines look like "<prefix> <offset> <b64 token> <b64 token> …": ids offset, offset+1, …
  // Keys below are latin1 strings (one char per byte) so byte sequences can be concatenated.
  const byRank: string[] = [];
  for (const line of ranksFile.bpe_ranks.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const offset = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) {
      byRank[offset + i - 2] = Buffer.from(fields[i]!, 'base64').toString('latin1');
    }
  }
  const rankOf = new Map<string, number>();
  byRank.forEach((tok, rank) => rankOf.set(tok, rank));

  const merges: string[] = [];
  const vocab: string[] = new Array(byRank.length);
  const latin1ToTokenString = (s: string) => bytesToTokenString(Buffer.from(s, 'latin1'));
  for (let rank = 0; rank < byRank.length; rank++) {
    const token = byRank[rank];
    if (token === undefined) throw new Error(`js-tiktoken gpt2 ranks: rank ${rank} is missing`);
    vocab[rank] = latin1ToTokenString(token);
    if (token.length === 1) continue;
    const parts = splitByLowerRanks(token, rank, rankOf);
    if (parts.length !== 2) {
      throw new Error(`js-tiktoken gpt2 ranks: token ${rank} does not split into two lower-ranked parts`);
    }
    merges.push(`${latin1ToTokenString(parts[0]!)} ${latin1ToTokenString(parts[1]!)}`);
  }
  return { vocab, merges };
}

/** tiktoken's byte-pair merge of `token`, allowing only merges whose rank is below `maxRank`. */
function splitByLowerRanks(token: string, maxRank: number, rankOf: Map<string, number>): string[] {
  const parts = [...token];
  for (;;) {
    let best = -1;
    let bestRank = maxRank;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = rankOf.get(parts[i]! + parts[i + 1]!);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best]! + parts[best + 1]!);
  }
}

/** Llama-3 from llama3-tokenizer-js: 128,000 byte-level tokens + 280,147 merges, and its 256 specials. */
export async function llama3Vocabulary(): Promise<BpeVocabulary & { specials: string[] }> {
  const { default: llama3 } = await import('llama3-tokenizer-js');
  const base = 128000;
  return {
    vocab: llama3.vocabById.slice(0, base),
    merges: mergesInPriorityOrder(llama3.merges),
    specials: llama3.vocabById.slice(base),
  };
}

/** Mistral-7B v0.1 from mistral-tokenizer-js: 32,000 SentencePiece-BPE tokens (0..2 = <unk>, <s>, </s>). */
export async function mistralVocabulary(): Promise<BpeVocabulary> {
  const { default: mistral } = await import('mistral-tokenizer-js');
  return { vocab: [...mistral.vocabById], merges: mergesInPriorityOrder(mistral.merges) };
}
