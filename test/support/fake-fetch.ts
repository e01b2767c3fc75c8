/**
 * A `fetch` double for unit tests: records every request (URL, method, headers, body) and answers
 * from a queue of canned responses (or functions of the request). It throws when the queue is
 * empty, so a test that expects no request fails if one is made.
 */
export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export type CannedAnswer =
  | { status: number; body?: string; json?: unknown; headers?: Record<string, string> }
  | { error: Error }
  | { hang: true };

export interface FakeFetch {
  fetch: typeof globalThis.fetch;
  requests: RecordedRequest[];
  /** The form fields of request `index`. */
  form(index?: number): Record<string, string>;
}

/** A fake fetch answering with `answers` in order. `hang` waits until the request's signal aborts. */
export function fakeFetch(answers: CannedAnswer[]): FakeFetch {
  const queue = [...answers];
  const requests: RecordedRequest[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    requests.push({ url: String(input), method: init.method ?? 'GET', headers, body: typeof init.body === 'string' ? init.body : '' });
    const answer = queue.shift();
    if (answer === undefined) throw new Error(`fakeFetch: unexpected request ${init.method ?? 'GET'} ${String(input)}`);
    if ('error' in answer) throw answer.error;
    if ('hang' in answer) {
      return new Promise<Response>((_resolve, reject) => {
        const signal = init.signal;
        if (!signal) return reject(new Error('fakeFetch: a hanging answer needs a signal'));
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    const body = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.body ?? '');
    const responseHeaders = new Headers(answer.headers);
    if (answer.json !== undefined && !responseHeaders.has('content-type')) responseHeaders.set('content-type', 'application/json;charset=UTF-8');
    return new Response(answer.status === 204 || answer.status === 304 ? null : body, { status: answer.status, headers: responseHeaders });
  }) as typeof globalThis.fetch;
  return {
    fetch,
    requests,
    form(index = 0) {
      const request = requests[index];
      if (!request) throw new Error(`fakeFetch: no request #${index}`);
      return Object.fromEntries(new URLSearchParams(request.body));
    },
  };
}

/** The time `fakeFetchDeps`'s clock is frozen at. */
export const NOW_MS = Date.UTC(2026, 10, 28, 12, 0, 0);

/**
 * A fake fetch with the rest of an HTTP client's deps: the clock frozen at NOW_MS, a sleep that
 * records its delay and returns at once, and `signal` (by default one never aborted).
 */
export function fakeFetchDeps(answers: CannedAnswer[], signal: AbortSignal = new AbortController().signal) {
  const fake = fakeFetch(answers);
  const sleeps: number[] = [];
  const deps = { fetch: fake.fetch, now: () => NOW_MS, sleep: async (ms: number) => void sleeps.push(ms), signal };
  return { fake, sleeps, deps };
}
