/** Query parameters of the resolution API: one value each, and the `maxResults` rule. */
import { HttpError } from './http-error.js';

/** Most matches answered for one query, whatever `maxResults` asks. */
export const MAX_RESULTS_CAP = 100;

/** One query value (a repeated parameter is refused rather than guessed at). */
export function single(query: unknown, name: string, required: true): string;
export function single(query: unknown, name: string, required: false): string | undefined;
export function single(query: unknown, name: string, required: boolean): string | undefined {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined || v === '') {
    if (required) throw new HttpError(400, 'ERR_INVALID_REQUEST', `Missing query parameter "${name}"`);
    return undefined;
  }
  if (typeof v !== 'string')
    throw new HttpError(400, 'ERR_INVALID_REQUEST', `Query parameter "${name}" must appear once`);
  return v;
}

/** `maxResults`: the spec's default 10, at most {@link MAX_RESULTS_CAP}. */
export function parseMaxResults(query: unknown): number {
  const raw = single(query, 'maxResults', false);
  if (raw === undefined) return 10; // the spec's default
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new HttpError(
      400,
      'ERR_INVALID_REQUEST',
      `maxResults must be an integer of at least 1, got ${JSON.stringify(raw)}`,
    );
  }
  return Math.min(Number(raw), MAX_RESULTS_CAP);
}
