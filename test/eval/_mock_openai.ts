/**
 * A local OpenAI-compatible chat-completions server for the judge tests (node:http on 127.0.0.1, random
 * port). It judges by a marker: the answer containing "GOOD" gets probability `pGood` (top log-probs for
 * "m" and "M"), and it can inject faults before answering: 429, 500, a timeout (no answer for `hangMs`),
 * a malformed body, a 400 about log-probs, a 401.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = '429' | '500' | 'timeout' | 'malformed' | 'logprobs400' | '401' | 'no_logprobs';

export interface MockJudgeServer {
  baseURL: string;
  /** HTTP requests received on the completions route */
  requests: number;
  maxInFlight: number;
  /** faults to inject, consumed one per request, in order */
  faults: Fault[];
  /** Authorization headers seen */
  authHeaders: string[];
  bodies: Record<string, unknown>[];
  pGood: number;
  close(): Promise<void>;
}

export async function startMockJudge(opts: { hangMs?: number; delayMs?: number } = {}): Promise<MockJudgeServer> {
  let inFlight = 0;
  const hanging = new Set<ServerResponse>();
  const state: MockJudgeServer = {
    baseURL: '',
    requests: 0,
    maxInFlight: 0,
    faults: [],
    authHeaders: [],
    bodies: [],
    pGood: 0.9,
    close: async () => {
      for (const r of hanging) r.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      state.requests++;
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      state.authHeaders.push(String(req.headers.authorization));
      const fault = state.faults.shift();
      const json = (status: number, obj: unknown, headers: Record<string, string> = {}) => {
        inFlight--;
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(obj));
      };
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (fault === 'timeout') {
        hanging.add(res);
        setTimeout(() => {
          hanging.delete(res);
          inFlight--;
          res.destroy();
        }, opts.hangMs ?? 1000);
        return;
      }
      if (fault === '429') return json(429, { error: { message: 'rate limited' } }, { 'retry-after-ms': '5' });
      if (fault === '500') return json(500, { error: { message: 'boom' } });
      if (fault === '401') return json(401, { error: { message: 'invalid api key' } });
      if (fault === 'logprobs400') {
        return json(400, { error: { message: 'This model does not support logprobs', type: 'invalid_request_error' } });
      }
      if (fault === 'malformed') {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [');
        return;
      }
      const parsed = JSON.parse(body) as { messages: { content: string }[]; logprobs?: boolean; model: string };
      state.bodies.push(parsed as unknown as Record<string, unknown>);
      const user = parsed.messages[parsed.messages.length - 1]!.content;
      const [beforeM2] = user.split('## Answer "M"');
      const goodIsFirst = beforeM2!.split('## Answer "m"')[1]!.includes('GOOD');
      const pFirst = goodIsFirst ? state.pGood : 1 - state.pGood;
      const content = pFirst >= 0.5 ? 'm' : 'M';
      const top = [
        { token: 'm', logprob: Math.log(pFirst) - 0.01, bytes: null },
        { token: 'M', logprob: Math.log(1 - pFirst) - 0.01, bytes: null },
        { token: 'The', logprob: -6, bytes: null },
      ];
      const logprobs =
        parsed.logprobs && fault !== 'no_logprobs'
          ? { content: [{ token: content, logprob: Math.log(Math.max(pFirst, 1 - pFirst)), bytes: null, top_logprobs: top }] }
          : null;
      json(200, {
        id: `cmpl-${state.requests}`,
        object: 'chat.completion',
        created: 0,
        model: parsed.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, logprobs, finish_reason: 'length' }],
        usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}
