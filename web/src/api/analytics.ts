// The analytics, follow-ups and calendar-feed routes (docs/analytics.md has every formula). Their
// types are the generated ones (named in types.ts, generated from docs/openapi.json by `make web`):
// one source of truth, so a change to the API's shapes fails `tsc` instead of mis-rendering.
// A 404 from these routes means an older API that does not serve them: the app shows "not
// available yet" for that panel only, never an error. Every other failure is an error. But
// GET /calendar-feed's 404 problem of type `/problems/not-found` means "no address", which is
// normal (any other 404 there is an API without the route).
import { ApiError, request } from './client';
import type { Agenda, CalendarFeed, CalendarFeedStatus, RejectionSummary, SkillSummary, Summary } from './types';

/** The analytics window, `YYYY-MM-DD`, both ends included; the API defaults to the 90 days ending today. */
export interface Period {
  from?: string;
  to?: string;
}

/** The value, "unavailable" when the route answers 404 (an API without it), or an error. */
export type Maybe<T> = { state: 'ok'; value: T } | { state: 'unavailable' } | { state: 'error'; message: string };

async function maybe<T>(load: () => Promise<T>): Promise<Maybe<T>> {
  try {
    return { state: 'ok', value: await load() };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { state: 'unavailable' };
    return { state: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

const q = (period: Period) => ({ from: period.from, to: period.to });

export const getSummary = (p: Period) => maybe(() => request<Summary>('/analytics/summary', { query: q(p) }));
export const getRejections = (p: Period) => maybe(() => request<RejectionSummary>('/analytics/rejections', { query: q(p) }));
export const getSkills = (p: Period) => maybe(() => request<SkillSummary>('/analytics/skills', { query: q(p) }));
/** Takes no parameters: the agenda is always "due by today". */
export const getFollowUps = () => maybe(() => request<Agenda>('/follow-ups'));
export const createCalendarFeed = () => maybe(() => request<CalendarFeed>('/calendar-feed', { method: 'POST' }));

/** GET /calendar-feed: since when the user's address exists, or null when there is none (the
 * API's 404 `/problems/not-found`). A 404 without that problem (API Gateway's own, for a route it
 * lacks) is "unavailable"; anything else, a 405 from an API without this method included, is an error. */
export async function getCalendarFeedStatus(): Promise<Maybe<CalendarFeedStatus | null>> {
  try {
    return { state: 'ok', value: await request<CalendarFeedStatus>('/calendar-feed') };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return error.problem?.type === '/problems/not-found' ? { state: 'ok', value: null } : { state: 'unavailable' };
    }
    return { state: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

/** DELETE /calendar-feed: 204, or the API's 404 `/problems/not-found` when there is no feed
 * (already revoked): both mean "no feed now". Any other 404 (API Gateway's own, for a route it
 * lacks) revoked nothing: an error, so the page never says an address it still shows has ended. */
export async function revokeCalendarFeed(): Promise<{ state: 'ok'; existed: boolean } | { state: 'error'; message: string }> {
  try {
    await request<void>('/calendar-feed', { method: 'DELETE' });
    return { state: 'ok', existed: true };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.problem?.type === '/problems/not-found') {
      return { state: 'ok', existed: false };
    }
    return { state: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
