/**
 * The API judge: any OpenAI-compatible chat-completions endpoint (`openai` v6 with `baseURL`), asked for one
 * token. Weighted mode requests the first token's top-5 log-probs (AlpacaEval 2's `weighted_alpaca_eval_*`
 * recipe: max_tokens 1, temperature 1, logprobs, top_logprobs 5); unweighted mode reads the answer text
 * (temperature 0).
 *
 * Robustness: the SDK's own retries are off (maxRetries 0) so every HTTP attempt is counted against the
 * --max_requests budget; we retry 429, 5xx, timeouts, connection errors and malformed bodies with exponential
 * backoff (honouring retry-after / retry-after-ms), at most `maxConcurrency` requests in flight (p-limit).
 * A rejected key, an unknown model or a model that refuses log-probs stops the whole run with a PoetError;
 * an item whose retries run out is dropped (reported as failed, never cached). The API key is read from the
 * environment by the caller and never logged or written.
 */
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { PoetError } from '../../util/errors.ts';
import { judgeMessages, PROMPT_VERSION } from './judge_prompt.ts';
import { preferenceFromText, preferenceFromTopLogprobs, type TopLogprob } from './parse_verdict.ts';
import type { JudgeItem, JudgeOptions, JudgeVerdict, PairwiseJudge } from './types.ts';

export interface OpenAIJudgeConfig {
  model: string;
  apiKey: string;
  /** name of the environment variable the key came from (for error messages only) */
  apiKeyEnv?: string;
  baseURL?: string;
  weighted: boolean;
  maxConcurrency?: number;
  /** spending guard: HTTP attempts allowed in this run (retries included); unlimited when undefined */
  maxRequests?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** first backoff delay; doubles per retry */
  retryBaseMs?: number;
  /** longest wait honoured from a retry-after header */
  maxRetryWaitMs?: number;
  log?: (message: string) => void;
}

/** Read the API key from the named environment variable; a clear error when it is unset or empty. */
export function apiKeyFromEnv(envName: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = env[envName];
  if (key === undefined || key.trim() === '') {
    throw new PoetError(
      `the judge API key is missing: environment variable ${envName} is ${key === undefined ? 'not set' : 'empty'} ` +
        `(set it, or name another variable with --api_key_env)`,
    );
  }
  return key;
}

class RetryableError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class OpenAIJudge implements PairwiseJudge {
  readonly name: string;
  /** HTTP attempts made so far (what --max_requests limits) */
  requestsMade = 0;
  /** true once an item was left unjudged because the request budget ran out */
  budgetExhausted = false;
  private readonly client: OpenAI;
  private readonly cfg: Required<Omit<OpenAIJudgeConfig, 'baseURL' | 'maxRequests' | 'log' | 'apiKeyEnv'>> &
    OpenAIJudgeConfig;

  constructor(cfg: OpenAIJudgeConfig) {
    this.cfg = {
      maxConcurrency: 8,
      timeoutMs: 120_000,
      maxRetries: 6,
      retryBaseMs: 1000,
      maxRetryWaitMs: 60_000,
      ...cfg,
    };
    this.name = `${cfg.model}${cfg.weighted ? '' : ' (unweighted)'}`;
    this.client = new OpenAI({ apiKey: cfg.apiKey, baseURL: cfg.baseURL, maxRetries: 0, timeout: this.cfg.timeoutMs });
  }

  cacheKey(item: JudgeItem): string {
    const payload = JSON.stringify({
      judge: this.cfg.model,
      mode: this.cfg.weighted ? 'weighted' : 'unweighted',
      prompt: PROMPT_VERSION,
      messages: judgeMessages(item),
    });
    return createHash('sha256').update(payload).digest('hex');
  }

  async judge(items: JudgeItem[], opts: JudgeOptions = {}): Promise<(JudgeVerdict | undefined)[]> {
    const limit = pLimit(Math.max(1, this.cfg.maxConcurrency));
    let fatal: PoetError | undefined;
    const results = await Promise.all(
      items.map((item, i) =>
        limit(async () => {
          if (fatal) return undefined;
          try {
            const v = await this.judgeOne(item);
            if (v && !v.error) opts.onVerdict?.(i, v);
            opts.onItemDone?.(i, v);
            return v;
          } catch (e) {
            if (e instanceof PoetError) {
              fatal ??= e;
              return undefined;
            }
            throw e;
          }
        }),
      ),
    );
    if (fatal) throw fatal;
    return results;
  }

  private async judgeOne(item: JudgeItem): Promise<JudgeVerdict | undefined> {
    const messages = judgeMessages(item);
    let lastError = '';
    for (let attempt = 0; attempt <= this.cfg.maxRetries; attempt++) {
      if (this.cfg.maxRequests !== undefined && this.requestsMade >= this.cfg.maxRequests) {
        this.budgetExhausted = true;
        return undefined;
      }
      this.requestsMade++;
      try {
        return await this.request(messages);
      } catch (e) {
        const wait = this.classify(e, attempt);
        lastError = (e as Error).message;
        if (wait === 'give_up') return { preference: NaN, error: `request refused: ${lastError}` };
        if (attempt < this.cfg.maxRetries) {
          this.cfg.log?.(`judge: retrying after ${lastError.slice(0, 120)} (attempt ${attempt + 1}, wait ${wait} ms)`);
          await sleep(wait);
        }
      }
    }
    return { preference: NaN, error: `gave up after ${this.cfg.maxRetries + 1} attempts: ${lastError}` };
  }

  private async request(messages: ReturnType<typeof judgeMessages>): Promise<JudgeVerdict> {
    const base = { model: this.cfg.model, messages, max_tokens: 1 };
    const completion = this.cfg.weighted
      ? await this.client.chat.completions.create({ ...base, temperature: 1, logprobs: true, top_logprobs: 5 })
      : await this.client.chat.completions.create({ ...base, temperature: 0 });
    // A body that parsed but is not a chat completion (a proxy's HTML page, a truncated JSON) is retried.
    const choice = (completion as { choices?: unknown })?.choices;
    if (!Array.isArray(choice) || choice.length === 0 || typeof choice[0] !== 'object' || choice[0] === null) {
      throw new RetryableError('malformed response: no choices');
    }
    const first = choice[0] as { message?: { content?: unknown }; logprobs?: { content?: unknown } | null };
    const content = typeof first.message?.content === 'string' ? first.message.content : '';
    if (!this.cfg.weighted) return { preference: preferenceFromText(content), raw: { content } };
    const tokens = first.logprobs?.content;
    if (!Array.isArray(tokens)) {
      throw new PoetError(
        `the judge model ${JSON.stringify(this.cfg.model)} returned no log-probs although they were requested; ` +
          `it may not support them: rerun with --unweighted`,
      );
    }
    if (tokens.length === 0 || !Array.isArray((tokens[0] as { top_logprobs?: unknown }).top_logprobs)) {
      throw new RetryableError('malformed response: no top_logprobs for the first token');
    }
    const top = ((tokens[0] as { top_logprobs: unknown[] }).top_logprobs as TopLogprob[]).filter(
      (t) => t && typeof t.token === 'string' && typeof t.logprob === 'number',
    );
    return { preference: preferenceFromTopLogprobs(top), raw: { content, top_logprobs: top } };
  }

  /**
   * Decide what an error means: a fatal PoetError is thrown (the whole run cannot succeed), 'give_up' drops this
   * item only (the request itself was refused, e.g. too long), a number is the backoff before the next try.
   */
  private classify(e: unknown, attempt: number): number | 'give_up' {
    const backoff = Math.min(this.cfg.retryBaseMs * 2 ** attempt, this.cfg.maxRetryWaitMs);
    if (e instanceof PoetError) throw e;
    if (e instanceof RetryableError || e instanceof SyntaxError) return backoff;
    if (e instanceof OpenAI.APIConnectionError) return backoff; // includes timeouts
    if (e instanceof OpenAI.APIError) {
      const status = e.status ?? 0;
      if (status === 429 || status >= 500) {
        const hinted = retryAfterMs(e.headers);
        return hinted !== undefined ? Math.min(hinted, this.cfg.maxRetryWaitMs) : backoff;
      }
      const where = this.cfg.baseURL ? ` at ${this.cfg.baseURL}` : '';
      if (status === 401 || status === 403) {
        throw new PoetError(
          `the judge API${where} rejected the key from ${this.cfg.apiKeyEnv ?? 'the environment'} (HTTP ${status}: ${e.message})`,
        );
      }
      if (status === 404) {
        throw new PoetError(`the judge API${where} does not know model ${JSON.stringify(this.cfg.model)} (HTTP 404: ${e.message})`);
      }
      if (status === 400 && /logprob/i.test(e.message) && this.cfg.weighted) {
        throw new PoetError(
          `the judge model ${JSON.stringify(this.cfg.model)} rejected the log-probs request (HTTP 400: ${e.message}); ` +
            `rerun with --unweighted`,
        );
      }
      return 'give_up';
    }
    // Anything else from fetch/the SDK (e.g. a body that is not JSON) is treated as transient.
    return backoff;
  }
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get?.('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const s = headers?.get?.('retry-after');
  if (s && Number.isFinite(Number(s))) return Math.max(0, Number(s) * 1000);
  return undefined;
}
