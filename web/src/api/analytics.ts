// The analytics, follow-ups and calendar-feed routes (docs/analytics.md has every formula). Their
// types are the generated ones (named in types.ts, generated from docs/openapi.json by `make web`):
// one source of truth, so a change to the API's shapes fails `tsc` instead of mis-rendering.
// A 404 from these routes means an older API that does not serve them: the app shows "not
// available yet" for that panel only, never an error. Every other failure is an error.
import { ApiError, request } from './client';
import type { Agenda, CalendarFeed, RejectionSummary, SkillSummary, Summary } from './types';

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

/** DELETE /calendar-feed: 204, or 404 when there is no feed (already revoked): both mean "no feed now". */
export async function revokeCalendarFeed(): Promise<{ state: 'ok'; existed: boolean } | { state: 'error'; message: string }> {
  try {
    await request<void>('/calendar-feed', { method: 'DELETE' });
    return { state: 'ok', existed: true };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { state: 'ok', existed: false };
    return { state: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
