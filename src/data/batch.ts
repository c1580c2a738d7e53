/**
 * Pair batches: the trainer's input. B tokenized pairs become 2B rows `[chosen×B; rejected×B]` (chosen of
 * pair i in row i, its rejected in row B+i, as the original's `concatenated_inputs`, spec §1.5), right-padded
 * with the pad id to one length L. Targets are SHIFTED so that the model's log-prob at position t scores
 * token t+1:
 *
 *   targets[i, t] = labels[i, t+1]  for t < L-1   (-100 on prompt and padding)
 *   targets[i, L-1] = -100
 *
 * `scoreMask[i, t]` (0/1) is what the preference loss sums over: all response targets without POET; with
 * POET the first k response targets of each row, k = min(scored response tokens of chosen, of rejected),
 * counted from the START OF EACH RESPONSE (alignment 'response', poet's default). The original ANDs the
 * two rows' masks position by position (alignment 'positional', kept for comparison): identical whenever
 * both prompts have the same length, but when `build_tokenized_answer` merged the last prompt token on one
 * side the AND is shifted and scores fewer, misaligned tokens (spec §1.7 example 4, §8.5).
 *
 * `nllMask` marks every chosen response target (rows 0..B-1; NOT POET-masked), for `rpo_alpha` /
 * `sft_weight` (spec §1.4). When no such term is on (`needTail` false) and POET is on, nothing needs the
 * tokens after the last scored target, so each row is physically cut to prompt + k tokens (+0: the last
 * kept token is the last scored one) and L shrinks. Causal attention makes the kept log-probs identical to
 * the masked full-length run (spec §1.4, §8.22); only the `logits/*` metrics, which the original averages
 * over every position, change.
 *
 * Example (spec §1.7 example 1; B = 1, BOS=1, EOS=2, pad=0, prompt [1,11,12,13], chosen answer
 * [21,22,23,2], rejected answer [31,32,2]):
 *   without POET, L = 8:
 *     inputIds  [1,11,12,13,21,22,23,2 | 1,11,12,13,31,32,2,0]
 *     targets   [-,-,-,21,22,23,2,- | -,-,-,31,32,2,-,-]        (- = -100)
 *     scoreMask [0,0,0,1,1,1,1,0 | 0,0,0,1,1,1,0,0]
 *   with POET, k = min(4, 3) = 3, cut (needTail false), L = 7:
 *     inputIds  [1,11,12,13,21,22,23 | 1,11,12,13,31,32,2]
 *     targets   [-,-,-,21,22,23,- | -,-,-,31,32,2,-]
 *     scoreMask [0,0,0,1,1,1,0 | 0,0,0,1,1,1,0]                  k = [3]
 *   with POET and needTail, L = 8: the unPOETed layout above, scoreMask
 *     [0,0,0,1,1,1,0,0 | 0,0,0,1,1,1,0,0] and nllMask [0,0,0,1,1,1,1,0 | 0,0,0,0,0,0,0,0].
 *
 * Degenerate pairs (k = 0, or a row without any scored token: the SimPO average would be 0/0 = NaN,
 * spec §1.7 example 5) get `pairValid[i] = 0` and an all-zero scoreMask; the dataset builder already drops
 * them, so this is a second line of defence for hand-built batches.
 *
 * Also here: `buildSftBatch` (plain rows for the SFT trainer) and `lengthGroupedOrder` (HF's
 * LengthGroupedSampler for `group_by_length`).
 */
import { seededPermutation } from './shuffle.ts';
import type { TokenizedPair, TokenizedSft } from './types.ts';

export const IGNORE_INDEX = -100;

export type PoetAlignment = 'response' | 'positional';

export interface PairBatchOptions {
  padId: number;
  usePoet: boolean;
  /** Some term needs the full chosen response (sft_weight > 0 or rpo_alpha set): mask instead of cut. */
  needTail: boolean;
  /** Default 'response' (poet); 'positional' reproduces the original's positional AND. */
  poetAlignment?: PoetAlignment;
  /** Cut rows to what is scored when POET is on and needTail is false (default true). */
  cut?: boolean;
}

export interface PairBatch {
  /** B */
  pairs: number;
  /** L */
  length: number;
  /** [2B, L] row-major; rows 0..B-1 chosen, B..2B-1 rejected. */
  inputIds: Int32Array;
  /** [2B, L] shifted labels, -100 where nothing is predicted. */
  targets: Int32Array;
  /** [2B, L] 0/1: positions the preference loss sums over (POET applied). */
  scoreMask: Float32Array;
  /** [2B, L] 0/1: every chosen response target (not POETed); null when needTail is false. */
  nllMask: Float32Array | null;
  /** [2B] tokens per row after any cut (the rest is padding). */
  seqLens: Int32Array;
  /** [2B] prompt tokens per row (label -100). */
  promptLens: Int32Array;
  /** [2B] scored response tokens per row before POET. */
  responseLens: Int32Array;
  /** [2B] Σ_t scoreMask[i, t]: the SimPO denominator / DPO token count. */
  scoredCounts: Int32Array;
  /** [B] POET's k per pair (tokens scored on each side); null without POET. */
  poetK: Int32Array | null;
  /** [B] 1 if both rows have at least one scored token. */
  pairValid: Uint8Array;
  /** Rows were physically cut to prompt + k. */
  cut: boolean;
}

/** Scored response targets of a row: positions t = max(p,1)-1 .. len-2 (token 0 can never be predicted). */
function responseSpan(len: number, promptLen: number): { first: number; count: number } {
  const firstToken = Math.max(promptLen, 1);
  return { first: firstToken - 1, count: Math.max(0, len - firstToken) };
}

export function buildPairBatch(pairs: readonly TokenizedPair[], opts: PairBatchOptions): PairBatch {
  const B = pairs.length;
  const R = 2 * B;
  const ids: Int32Array[] = [];
  const promptLens = new Int32Array(R);
  for (let i = 0; i < B; i++) {
    ids[i] = pairs[i]!.chosenIds;
    ids[B + i] = pairs[i]!.rejectedIds;
    promptLens[i] = pairs[i]!.chosenPromptLen;
    promptLens[B + i] = pairs[i]!.rejectedPromptLen;
  }
  const fullLens = Int32Array.from(ids, (x) => x.length);
  const responseLens = new Int32Array(R);
  const firsts = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    const s = responseSpan(fullLens[r]!, promptLens[r]!);
    responseLens[r] = s.count;
    firsts[r] = s.first;
  }

  // Scored intervals per row as [start, end) in shifted positions (one contiguous run in every mode).
  const start = new Int32Array(R);
  const end = new Int32Array(R);
  let poetK: Int32Array | null = null;
  const alignment = opts.poetAlignment ?? 'response';
  for (let r = 0; r < R; r++) {
    start[r] = firsts[r]!;
    end[r] = firsts[r]! + responseLens[r]!;
  }
  if (opts.usePoet) {
    poetK = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      const c = i;
      const j = B + i;
      if (alignment === 'response') {
        const k = Math.min(responseLens[c]!, responseLens[j]!);
        end[c] = start[c]! + k;
        end[j] = start[j]! + k;
        poetK[i] = k;
      } else {
        // The original: s[t] = m_c[t] AND m_r[t] on the common padded layout.
        const lo = Math.max(start[c]!, start[j]!);
        const hi = Math.min(end[c]!, end[j]!);
        const k = Math.max(0, hi - lo);
        start[c] = start[j] = lo;
        end[c] = end[j] = lo + k;
        poetK[i] = k;
      }
    }
  }
  const cut = opts.usePoet && !opts.needTail && opts.cut !== false;
  const seqLens = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    // Keep tokens 0..end (target at end-1 predicts token `end`), i.e. end + 1 tokens; at least the prompt.
    seqLens[r] = cut ? Math.min(fullLens[r]!, end[r]! > start[r]! ? end[r]! + 1 : Math.max(promptLens[r]!, 1)) : fullLens[r]!;
  }
  let L = 0;
  for (let r = 0; r < R; r++) L = Math.max(L, seqLens[r]!);

  const inputIds = new Int32Array(R * L).fill(opts.padId);
  const targets = new Int32Array(R * L).fill(IGNORE_INDEX);
  const scoreMask = new Float32Array(R * L);
  const nllMask = opts.needTail ? new Float32Array(R * L) : null;
  const scoredCounts = new Int32Array(R);
  const pairValid = new Uint8Array(B);
  for (let r = 0; r < R; r++) {
    const row = ids[r]!;
    const off = r * L;
    const n = seqLens[r]!;
    inputIds.set(row.subarray(0, n), off);
    const first = firsts[r]!;
    for (let t = first; t < n - 1; t++) targets[off + t] = row[t + 1]!;
    for (let t = start[r]!; t < end[r]!; t++) scoreMask[off + t] = 1;
    scoredCounts[r] = end[r]! - start[r]!;
    if (nllMask && r < B) for (let t = first; t < first + responseLens[r]!; t++) nllMask[off + t] = 1;
  }
  for (let i = 0; i < B; i++) {
    pairValid[i] = scoredCounts[i]! > 0 && scoredCounts[B + i]! > 0 ? 1 : 0;
    if (!pairValid[i]) {
      // Guard: a pair with nothing to compare contributes nothing (no 0/0).
      scoreMask.fill(0, i * L, (i + 1) * L);
      scoreMask.fill(0, (B + i) * L, (B + i + 1) * L);
      scoredCounts[i] = 0;
      scoredCounts[B + i] = 0;
    }
  }
  return { pairs: B, length: L, inputIds, targets, scoreMask, nllMask, seqLens, promptLens, responseLens, scoredCounts, poetK, pairValid, cut };
}

/** Scored response tokens of each side before POET (same rule as buildPairBatch). */
export function pairResponseLens(p: TokenizedPair): { chosen: number; rejected: number } {
  return {
    chosen: responseSpan(p.chosenIds.length, p.chosenPromptLen).count,
    rejected: responseSpan(p.rejectedIds.length, p.rejectedPromptLen).count,
  };
}

/** POET's k for one pair (response alignment). */
export function poetK(p: TokenizedPair): number {
  const r = pairResponseLens(p);
  return Math.min(r.chosen, r.rejected);
}

/** Tokens a pair occupies in a batch: longest row, after the POET cut when `cut`. */
export function pairCost(p: TokenizedPair, cut: boolean): number {
  if (!cut) return Math.max(p.chosenIds.length, p.rejectedIds.length);
  const k = poetK(p);
  return Math.max(Math.max(p.chosenPromptLen, 1) + k, Math.max(p.rejectedPromptLen, 1) + k);
}

// ---------------------------------------------------------------------------------------------------
// SFT batches

export interface SftBatch {
  rows: number;
  length: number;
  /** [N, L] right-padded. */
  inputIds: Int32Array;
  /** [N, L] shifted: targets[i, t] = ids[i, t+1] where token t+1 is scored, else -100. */
  targets: Int32Array;
  /** [N, L] 0/1 = targets != -100. */
  lossMask: Float32Array;
  seqLens: Int32Array;
}

export function buildSftBatch(rows: readonly TokenizedSft[], padId: number): SftBatch {
  const N = rows.length;
  let L = 0;
  for (const r of rows) L = Math.max(L, r.ids.length);
  const inputIds = new Int32Array(N * L).fill(padId);
  const targets = new Int32Array(N * L).fill(IGNORE_INDEX);
  const lossMask = new Float32Array(N * L);
  const seqLens = new Int32Array(N);
  rows.forEach((r, i) => {
    const off = i * L;
    inputIds.set(r.ids, off);
    seqLens[i] = r.ids.length;
    for (let t = 0; t + 1 < r.ids.length; t++) {
      if (r.scored[t + 1]) {
        targets[off + t] = r.ids[t + 1]!;
        lossMask[off + t] = 1;
      }
    }
  });
  return { rows: N, length: L, inputIds, targets, lossMask, seqLens };
}

// ---------------------------------------------------------------------------------------------------
// Ordering

/**
 * HF `get_length_grouped_indices` (LengthGroupedSampler, `group_by_length`): a random permutation cut
 * into megabatches of `mult × batchSize` (mult = min(⌊n / 4·batchSize⌋, 50), at least 1), each sorted by
 * length descending, with the longest megabatch head swapped to the very front so an out-of-memory
 * batch shows up at step 1. Random source: seededPermutation (not torch's randperm).
 */
export function lengthGroupedOrder(lengths: ArrayLike<number>, batchSize: number, seed: number): Uint32Array {
  const n = lengths.length;
  const perm = seededPermutation(n, seed);
  const mult = Math.max(1, Math.min(Math.floor(n / (batchSize * 4)), 50));
  const size = mult * batchSize;
  const megas: number[][] = [];
  for (let i = 0; i < n; i += size) {
    // Stable sort: ties keep permutation order, as Python's sorted.
    megas.push(Array.from(perm.subarray(i, i + size)).sort((a, b) => lengths[b]! - lengths[a]!));
  }
  if (megas.length > 0) {
    let maxIdx = 0;
    for (let m = 1; m < megas.length; m++) if (lengths[megas[m]![0]!]! > lengths[megas[maxIdx]![0]!]!) maxIdx = m;
    const t = megas[0]![0]!;
    megas[0]![0] = megas[maxIdx]![0]!;
    megas[maxIdx]![0] = t;
  }
  return Uint32Array.from(megas.flat());
}

/** Plain random order for an epoch (HF RandomSampler's role); deterministic in (seed, epoch). */
export function shuffledOrder(n: number, seed: number, epoch: number): Uint32Array {
  return seededPermutation(n, (seed + Math.imul(epoch, 0x9e3779b1)) >>> 0);
}
