// The analytics, follow-ups and calendar-feed routes, as this app expects them. They are not in
// docs/openapi.json yet (the analytics issue is open), so their shapes are proposed here, kept
// plain; when the routes land, their generated types replace these and `tsc` shows any
// difference. Every route takes optional `from` / `to` (YYYY-MM-DD, inclusive) query parameters.
// A 404 means "not deployed yet": the app shows a "not available yet" state, never an error.
import { ApiError, request } from './client';
import type { Status } from './types';

/** A share with the number of applications it is computed from; `rate` is null when n = 0. */
export interface Rate {
  rate: number | null; // 0..1
  n: number;
}

/** GET /analytics/summary */
export interface Summary {
  from: string | null;
  to: string | null;
  /** Applications in the period. */
  total: number;
  by_status: Partial<Record<Status, number>>;
  /** applied → screening → interviewing → offer → accepted: how many reached each stage. */
  funnel: { stage: 'applied' | 'screening' | 'interviewing' | 'offer' | 'accepted'; count: number }[];
  rates: { response: Rate; interview: Rate; offer: Rate };
  /** Days from applied to the first status change after it. No median/p75 when n < 5. */
  time_to_first_response: { n: number; median_days: number | null; p75_days: number | null; censored: number };
  /** Applications per ISO week, the last 12 weeks, oldest first (`week` like `2026-W47`). */
  weekly: { week: string; count: number }[];
  /** Response rate by source, work mode and tag. */
  breakdowns: { source: Breakdown[]; work_mode: Breakdown[]; tag: Breakdown[] };
}

export interface Breakdown {
  key: string;
  n: number;
  response_rate: number | null;
}

export interface Count {
  key: string;
  count: number;
}

/** GET /analytics/rejections */
export interface RejectionAnalytics {
  n: number;
  by_category: Count[];
  by_stage: Count[];
  top_reasons: Count[];
  /** Share of rejections with no feedback recorded for their application. */
  without_feedback: Rate;
  median_days_to_rejection: number | null;
}

/** GET /analytics/skills: skills named in feedback (strengths and improvements) per month. */
export interface SkillAnalytics {
  /** `YYYY-MM`, oldest first; each skill's `counts` lines up with it. */
  months: string[];
  skills: { skill: string; strengths: number; improvements: number; counts: number[]; trend: 'rising' | 'falling' | 'flat' }[];
}

/** GET /follow-ups: the agenda, soonest first. */
export interface FollowUps {
  items: { application_id: string; company: string; role: string; status: Status; due: string; reason: string }[];
}

/** POST /calendar-feed → 201 {url}: a secret iCalendar URL; DELETE /calendar-feed revokes it. */
export interface CalendarFeed {
  url: string;
}

export interface Period {
  from?: string;
  to?: string;
}

/** The value, or "unavailable" when the route answers 404 (not deployed yet). */
export type Maybe<T> = { state: 'ok'; value: T } | { state: 'unavailable' } | { state: 'error'; message: string };

async function maybe<T>(load: () => Promise<T>): Promise<Maybe<T>> {
  try {
    return { state: 'ok', value: await load() };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return { state: 'unavailable' };
    return { state: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

const q = (period: Period) => ({ from: period.from, to: period.to });

export const getSummary = (p: Period) => maybe(() => request<Summary>('/analytics/summary', { query: q(p) }));
export const getRejections = (p: Period) => maybe(() => request<RejectionAnalytics>('/analytics/rejections', { query: q(p) }));
export const getSkills = (p: Period) => maybe(() => request<SkillAnalytics>('/analytics/skills', { query: q(p) }));
export const getFollowUps = (p: Period) => maybe(() => request<FollowUps>('/follow-ups', { query: q(p) }));
export const createCalendarFeed = () => maybe(() => request<CalendarFeed>('/calendar-feed', { method: 'POST', body: {} }));
export const revokeCalendarFeed = () => maybe(() => request<void>('/calendar-feed', { method: 'DELETE' }));
