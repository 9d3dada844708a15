// The API client: same origin (the dev server locally, CloudFront in AWS), bearer token,
// problem+json errors as ApiError (422 `errors` by field), ETag/If-Match for writes.
import type { Problem } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  /** 422 messages by field name (`tags`, `salary_max`, …). */
  readonly fields: Record<string, string>;

  constructor(status: number, problem: Problem | null) {
    super(problem?.detail || problem?.title || `The API answered ${status}`);
    this.status = status;
    this.problem = problem;
    this.fields = {};
    for (const error of problem?.errors ?? []) {
      const field = error.field.replace(/\[.*$/, '');
      this.fields[field] = this.fields[field] ? `${this.fields[field]}; ${error.message}` : error.message;
    }
  }
}

type TokenSource = () => string | null;
let tokenSource: TokenSource = () => null;
let onUnauthorized: () => void = () => {};

export function configureApi(token: TokenSource, unauthorized: () => void): void {
  tokenSource = token;
  onUnauthorized = unauthorized;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  ifMatch?: number;
  /** A create's `Idempotency-Key` (docs/api.md): the same key and body within 24 h is answered
   * with the first response and creates nothing more. */
  idempotencyKey?: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
  /** A body sent as it is (a CSV), in place of `body`'s JSON. */
  text?: { type: string; body: string };
}

const THROTTLE_RETRIES = 2;

/** Resolves after `ms`, or rejects as `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  const token = tokenSource();
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.text !== undefined) headers['content-type'] = options.text.type;
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  // Not `query.size`: Safari before 17 lacks it, and every parameter would be dropped.
  const search = query.toString();
  const url = search ? `${path}?${search}` : path;
  const init: RequestInit = {
    method: options.method ?? 'GET',
    headers,
    body: options.text?.body ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    signal: options.signal,
  };
  let response = await fetch(url, init);
  // API Gateway's throttle (429) answers before any function runs: nothing was done, so the
  // same request goes again after the wait it names (else 1, then 2 s), up to twice.
  for (let retry = 0; response.status === 429 && retry < THROTTLE_RETRIES; retry++) {
    const named = Number(response.headers.get('retry-after'));
    await pause(named > 0 ? Math.min(named, 10) * 1000 : 1000 * 2 ** retry, options.signal);
    response = await fetch(url, init);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  const json = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, json && typeof json === 'object' && 'status' in json ? (json as Problem) : null);
  }
  return json as T;
}

/** Every page of a list, following next_cursor (up to `max` items). */
export async function all<T>(path: string, query: RequestOptions['query'] = {}, max = 2000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await request<{ items: T[]; next_cursor?: string | null }>(path, {
      query: { ...query, limit: 100, cursor },
    });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.status === 404;

/** A random UUID; `crypto.randomUUID` exists only in secure contexts (https, localhost). */
function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A create's body (as sent) and its Idempotency-Key. */
export interface PendingCreate { body: string; key: string }

/** One key per create: the same key while the same body is retried (a retry after a lost
 * answer is then answered with the first response, not a second item), a new one once the
 * body changes or the create succeeded. */
export function idempotency(pending: PendingCreate | null = null) {
  let last = pending;
  return {
    key(body: unknown): string {
      const text = JSON.stringify(body);
      if (last?.body !== text) last = { body: text, key: newKey() };
      return last.key;
    },
    done(): void {
      last = null;
    },
    /** The create sent and not known to have succeeded: a form going away keeps it (drafts.ts),
     * so the same add sent again after a reload is answered with the first one's response. */
    pending(): PendingCreate | null {
      return last;
    },
  };
}
