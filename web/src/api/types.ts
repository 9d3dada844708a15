// Names for the generated API types (schema.d.ts is generated from docs/openapi.json; never edit it).
import type { components } from './schema';

type S = components['schemas'];
export type Application = S['Application'];
export type ApplicationCreate = S['ApplicationCreate'];
export type ApplicationUpdate = S['ApplicationUpdate'];
export type ApplicationPage = S['Page_Application'];
export type Feedback = S['Feedback'];
export type FeedbackCreate = S['FeedbackCreate'];
export type FeedbackPage = S['Page_Feedback'];
export type Rejection = S['Rejection'];
export type RejectionCreate = S['RejectionCreate'];
export type RejectionPage = S['Page_Rejection'];
export type Problem = S['Problem'];
export type Status = S['Status'];
export type WorkMode = S['WorkMode'];
export type InterviewStage = S['InterviewStage'];
export type RejectionStage = S['RejectionStage'];
export type RejectionCategory = S['RejectionCategory'];
/** GET /analytics/summary */
export type Summary = S['Summary'];
/** GET /analytics/rejections */
export type RejectionSummary = S['RejectionSummary'];
/** GET /analytics/skills */
export type SkillSummary = S['SkillSummary'];
/** GET /follow-ups: due today (UTC) or earlier, oldest due first. */
export type Agenda = S['Agenda'];
export type FollowUp = S['FollowUp'];
/** POST /calendar-feed → 201: the secret iCalendar address; DELETE /calendar-feed revokes it. */
export type CalendarFeed = S['CalendarFeed'];
/** GET /calendar-feed → 200: when the current address was made (never the address); 404 when none. */
export type CalendarFeedStatus = S['CalendarFeedStatus'];
/** A share with its denominator: `rate` is null when n = 0, `small_sample` when n < 5. */
export type Rate = S['Rate'];
export type Group = S['Group'];
export type Window = S['Window'];
/** POST /import → 200: per row `created`, `duplicate` or `rejected` (with the field errors). */
export type ImportReport = S['ImportReport'];

// The enums as lists, checked against the generated types: adding a value to the API without
// adding it here fails `tsc`.
const all = <T extends string>() =>
  <const L extends readonly T[]>(list: L & (Exclude<T, L[number]> extends never ? unknown : { missing: Exclude<T, L[number]> })): L => list;

export const STATUSES = all<Status>()(['saved', 'applied', 'screening', 'interviewing', 'offer', 'accepted', 'declined', 'rejected', 'withdrawn', 'ghosted']);
export const TERMINAL: readonly Status[] = ['accepted', 'declined', 'rejected', 'withdrawn', 'ghosted'];
export const WORK_MODES = all<WorkMode>()(['onsite', 'hybrid', 'remote']);
export const INTERVIEW_STAGES = all<InterviewStage>()(['recruiter_screen', 'phone_screen', 'technical', 'take_home', 'system_design', 'behavioral', 'onsite', 'hiring_manager', 'final', 'other']);
export const REJECTION_STAGES = all<RejectionStage>()(['application', ...INTERVIEW_STAGES]);
export const REJECTION_CATEGORIES = all<RejectionCategory>()(['skills_gap', 'experience_level', 'culture_fit', 'position_filled', 'hiring_freeze', 'compensation', 'location', 'no_feedback', 'other']);

export const label = (value: string | null | undefined): string =>
  value ? value.charAt(0).toUpperCase() + value.slice(1).replace(/_/g, ' ') : '';
