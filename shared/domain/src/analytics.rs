//! Learning from the search: every figure of `/analytics/*`, `/follow-ups` and the calendar feed,
//! computed from one user's applications, feedback and rejections as read from the table.
//! Pure functions of their inputs (no clock, no database): `today` is an argument, so the unit
//! and property tests pin every figure. The formulas and their edge cases are in
//! `docs/analytics.md`; the names below follow it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rejection::{RejectionCategory, RejectionStage};
use crate::values::NamedEnum;
use crate::{Application, Feedback, Id, Rejection, Status};

/// The window when `from`/`to` are left out: the last 90 days, today included.
pub const DEFAULT_WINDOW_DAYS: u64 = 90;
/// The longest window (days, both ends included): three years.
pub const MAX_WINDOW_DAYS: i64 = 3 * 366;
/// Below this many observations a figure is flagged `small_sample` (and no median is given).
pub const SMALL_SAMPLE: usize = 5;
/// How many ISO weeks `weekly_applications` covers.
pub const WEEKS: usize = 12;
/// How many reasons `top_reasons` lists.
pub const TOP_REASONS: usize = 10;

/// The dates a figure looks at, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Window {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
}

impl Window {
    /// `to` defaults to today, `from` to 89 days before `to`; `from` ≤ `to` and at most
    /// [`MAX_WINDOW_DAYS`] days. The error names the problem, for a 400.
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Self, String> {
        let to = to.unwrap_or(today);
        let from = match from {
            Some(from) => from,
            None => to
                .checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS - 1))
                .ok_or("`to` is out of range")?,
        };
        if ![from, to].iter().all(|d| (1..=9999).contains(&d.year())) {
            return Err("dates must be within the years 1 to 9999".into());
        }
        if from > to {
            return Err("`from` must not be after `to`".into());
        }
        if (to - from).num_days() + 1 > MAX_WINDOW_DAYS {
            return Err(format!("the window spans at most {MAX_WINDOW_DAYS} days"));
        }
        Ok(Self { from, to })
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    /// The first day of the window's second half: the trend compares the halves.
    fn middle(&self) -> NaiveDate {
        let days = (self.to - self.from).num_days() + 1;
        self.from + chrono::Duration::days(days / 2)
    }
}

/// Everything the figures are computed from: one user's items. Children whose application is
/// not among `applications` (deleted, being deleted) are ignored.
#[derive(Debug, Clone, Default)]
pub struct SearchData {
    pub applications: Vec<Application>,
    pub feedback: Vec<Feedback>,
    pub rejections: Vec<Rejection>,
}

/// A count over a denominator: `rate` = `count / n`, null when `n` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Rate {
    pub count: usize,
    pub n: usize,
    pub rate: Option<f64>,
    /// `n` is below 5: read the rate with care.
    pub small_sample: bool,
}

impl Rate {
    pub fn new(count: usize, n: usize) -> Self {
        Self {
            count,
            n,
            rate: (n > 0).then(|| count as f64 / n as f64),
            small_sample: n < SMALL_SAMPLE,
        }
    }
}

/// One stage of the funnel.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelStage {
    pub stage: Status,
    /// Applications in the window that ever reached this stage or a later one.
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rates {
    /// Responded (screening or beyond, rejected, or any feedback/rejection) over applied.
    pub response: Rate,
    /// Reached interviewing or beyond over applied.
    pub interview: Rate,
    /// Reached offer or beyond over applied.
    pub offer: Rate,
}

/// Days from applying to the first response. Applications still waiting are censored: counted
/// in `waiting`, not in the percentiles.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResponseTime {
    /// Applications with a response (the percentiles' sample).
    pub n: usize,
    /// Applied applications with no response yet (censored).
    pub waiting: usize,
    /// Null when `n` < 5.
    pub median_days: Option<i64>,
    /// Null when `n` < 5.
    pub p75_days: Option<i64>,
}

/// Applications applied in one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Week {
    /// `2026-W48`
    #[schema(example = "2026-W48")]
    pub week: String,
    /// Its Monday.
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    pub count: usize,
}

/// The response rate of one group (a source, a work mode, a tag).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Group {
    /// The group; null for applications without a value.
    pub key: Option<String>,
    /// Responded applications of the group.
    pub count: usize,
    /// Applied applications of the group.
    pub n: usize,
    pub rate: Option<f64>,
    pub small_sample: bool,
}

/// `GET /analytics/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    pub window: Window,
    /// Applications whose date (applied date, else creation date) is in the window.
    pub total: usize,
    /// Their current statuses: every status, zeros included.
    pub by_status: BTreeMap<String, usize>,
    /// applied → screening → interviewing → offer → accepted.
    pub funnel: Vec<FunnelStage>,
    pub rates: Rates,
    pub time_to_first_response: ResponseTime,
    /// The 12 ISO weeks ending with the week of `to`, oldest first.
    pub weekly_applications: Vec<Week>,
    /// The [`MAX_GROUPS`] sources with the most applications.
    pub by_source: Vec<Group>,
    /// How many distinct sources the applications name, "no source" (`key: null`) being one.
    pub by_source_total: usize,
    pub by_work_mode: Vec<Group>,
    /// The [`MAX_GROUPS`] tags with the most applications.
    pub by_tag: Vec<Group>,
    /// How many distinct tags the applications name (an application without tags is in none).
    pub by_tag_total: usize,
}

/// The most groups a summary lists by source or by tag: each is about 100 bytes, and an
/// account may name tens of thousands (Lambda's response holds 6 MB).
pub const MAX_GROUPS: usize = 100;

/// A count under a key (null: not given).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyCount {
    pub key: Option<String>,
    pub count: usize,
}

/// A reason given in rejections, matched case-insensitively after trimming.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReasonCount {
    /// Its most frequent spelling.
    pub reason: String,
    /// Rejections that gave it.
    pub count: usize,
}

/// Days from applying to the rejection.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DaysToRejection {
    pub n: usize,
    /// Null when `n` < 5.
    pub median_days: Option<i64>,
}

/// `GET /analytics/rejections`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RejectionSummary {
    pub window: Window,
    /// Rejections dated in the window.
    pub total: usize,
    pub by_category: Vec<KeyCount>,
    pub by_stage: Vec<KeyCount>,
    pub top_reasons: Vec<ReasonCount>,
    /// Rejections that gave nothing to learn from: no reasons, and no category or `no_feedback`.
    pub without_feedback: Rate,
    pub days_to_rejection: DaysToRejection,
}

/// A skill's mentions in one calendar month.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MonthCount {
    #[schema(example = "2026-11")]
    pub month: String,
    pub strengths: usize,
    pub improvements: usize,
    pub rejections: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Rising,
    Steady,
    Falling,
}

/// One skill, as named in feedback strengths, improvements and rejection reasons.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Skill {
    /// Its most frequent spelling.
    pub skill: String,
    pub mentions: usize,
    pub strengths: usize,
    pub improvements: usize,
    pub rejections: usize,
    /// Every month of the window, oldest first.
    pub by_month: Vec<MonthCount>,
    #[schema(value_type = String, format = Date)]
    pub first_seen: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub last_seen: NaiveDate,
    pub trend: Trend,
}

/// An improvement named by feedback from at least two different companies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecurringImprovement {
    pub skill: String,
    pub companies: usize,
    pub mentions: usize,
}

/// `GET /analytics/skills`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SkillSummary {
    pub window: Window,
    /// The most mentioned first, at most [`MAX_SKILLS`].
    pub skills: Vec<Skill>,
    /// How many distinct skills the window names (more than `skills` holds when it is full).
    pub skills_total: usize,
    /// At most [`MAX_SKILLS`], named at the most companies first.
    pub recurring_improvements: Vec<RecurringImprovement>,
    /// How many skills the window names as an improvement at two companies or more.
    pub recurring_improvements_total: usize,
}

/// The most skills `GET /analytics/skills` lists: each carries a count for every month of the
/// window (up to 37), about 3 KB as Lambda's response carries it, so thousands of distinct
/// names would pass its 6 MB; a hundred is more than a chart shows.
pub const MAX_SKILLS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// The application's `follow_up_on` date.
    Scheduled,
    /// A nudge the rules suggest.
    Suggested,
}

/// One follow-up: what to do about which application, and when.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FollowUp {
    #[schema(value_type = String)]
    pub application_id: Id,
    pub company: String,
    pub role: String,
    pub status: Status,
    pub kind: FollowUpKind,
    /// 1 or 2 for a suggestion; null for a scheduled follow-up.
    pub nudge: Option<u8>,
    pub reason: String,
    #[schema(value_type = String, format = Date)]
    pub due: NaiveDate,
}

/// `GET /follow-ups`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Agenda {
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    /// Due today or earlier, oldest due first: at most [`MAX_FOLLOW_UPS`].
    pub items: Vec<FollowUp>,
    /// How many are due (more than `items` holds when it is full).
    pub total: usize,
}

/// The most follow-ups the agenda lists and the calendar feed holds (one for each live
/// application at most; each up to about 2 KB as Lambda's response carries it).
pub const MAX_FOLLOW_UPS: usize = 1000;

/// How far an application got: 0 saved, 1 applied, 2 screening, 3 interviewing, 4 offer,
/// 5 accepted. `declined` implies an offer; `rejected` and `ghosted` imply an application;
/// `withdrawn` implies nothing.
pub fn rank(status: Status) -> u8 {
    match status {
        Status::Saved | Status::Withdrawn => 0,
        Status::Applied | Status::Rejected | Status::Ghosted => 1,
        Status::Screening => 2,
        Status::Interviewing => 3,
        Status::Offer | Status::Declined => 4,
        Status::Accepted => 5,
    }
}

/// The stages of the funnel, in order; `FUNNEL[k]` has rank `k + 1`.
pub const FUNNEL: [Status; 5] = [
    Status::Applied,
    Status::Screening,
    Status::Interviewing,
    Status::Offer,
    Status::Accepted,
];

/// A status that answers an application: anything from screening on, or a rejection.
fn is_response(status: Status) -> bool {
    rank(status) >= 2 || status == Status::Rejected
}

pub fn feedback_date(feedback: &Feedback) -> NaiveDate {
    feedback
        .feedback_date
        .unwrap_or_else(|| feedback.created_at.date())
}

pub fn rejection_date(rejection: &Rejection) -> NaiveDate {
    rejection
        .rejected_date
        .unwrap_or_else(|| rejection.created_at.date())
}

/// One application with its children.
struct View<'a> {
    app: &'a Application,
    feedback: Vec<&'a Feedback>,
    rejections: Vec<&'a Rejection>,
}

impl View<'_> {
    /// The highest stage ever reached: the status history, the current status, and an applied
    /// date (which means it was applied for). Moving a status backwards never un-reaches a stage.
    fn reached(&self) -> u8 {
        let history = self.app.status_history.iter().map(|c| rank(c.status));
        let applied = u8::from(self.app.applied_date.is_some());
        history
            .chain([rank(self.app.status), applied])
            .max()
            .unwrap_or(0)
    }

    /// The day it was applied for: `applied_date`, else the earliest history entry at applied
    /// or beyond, else its creation day; none if it never reached applied.
    fn applied_on(&self) -> Option<NaiveDate> {
        if self.reached() == 0 {
            return None;
        }
        Some(self.app.applied_date.unwrap_or_else(|| {
            // The earliest, not the first listed: a history is oldest first, but one made
            // before the import kept it so could still be out of order.
            self.app
                .status_history
                .iter()
                .filter(|c| rank(c.status) >= 1)
                .map(|c| c.at.date())
                .min()
                .unwrap_or_else(|| self.app.created_at.date())
        }))
    }

    /// The day that places it in a window: applied, else created.
    fn anchor(&self) -> NaiveDate {
        self.applied_on()
            .unwrap_or_else(|| self.app.created_at.date())
    }

    /// The day of its first response, if any: the first response status in its history (or its
    /// current status, dated by its last update, if the history lacks it), the first feedback,
    /// the first rejection.
    fn first_response(&self) -> Option<NaiveDate> {
        let history = self
            .app
            .status_history
            .iter()
            .filter(|c| is_response(c.status))
            .map(|c| c.at.date());
        let current = (is_response(self.app.status)
            && !self
                .app
                .status_history
                .iter()
                .any(|c| c.status == self.app.status))
        .then(|| self.app.updated_at.date());
        history
            .chain(current)
            .chain(self.feedback.iter().map(|f| feedback_date(f)))
            .chain(self.rejections.iter().map(|r| rejection_date(r)))
            .min()
    }

    /// The day of the last sign of life from the employer: the last move to a response status,
    /// feedback or rejection, else the applied day. The user's own moves (to saved, applied,
    /// withdrawn) are not signs of life.
    fn last_activity(&self) -> NaiveDate {
        self.app
            .status_history
            .iter()
            .filter(|c| is_response(c.status))
            .map(|c| c.at.date())
            .chain(self.feedback.iter().map(|f| feedback_date(f)))
            .chain(self.rejections.iter().map(|r| rejection_date(r)))
            .chain(self.applied_on())
            .max()
            .unwrap_or_else(|| self.app.created_at.date())
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p` percent of
/// the sample at or below it. None below [`SMALL_SAMPLE`].
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.len() < SMALL_SAMPLE {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// A name as matched: lower-case, with no whitespace (`"System  Design"` = `"systemdesign"`).
pub fn skill_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A reason as matched: trimmed, lower-case, inner whitespace runs as one space.
pub fn reason_key(reason: &str) -> String {
    reason
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The spelling seen most often (ties: the first seen).
#[derive(Default)]
struct Spellings(Vec<(String, usize)>);

impl Spellings {
    fn add(&mut self, spelling: &str) {
        let spelling = spelling.trim();
        match self.0.iter_mut().find(|(s, _)| s == spelling) {
            Some((_, count)) => *count += 1,
            None => self.0.push((spelling.to_owned(), 1)),
        }
    }

    fn best(&self) -> String {
        let mut best: Option<&(String, usize)> = None;
        for entry in &self.0 {
            if best.is_none_or(|b| entry.1 > b.1) {
                best = Some(entry);
            }
        }
        best.map(|b| b.0.clone()).unwrap_or_default()
    }
}

fn iso_week_label(date: NaiveDate) -> String {
    let week = date.iso_week();
    // Four digits, as the month labels: the weeks before a window in the year 1 are in year 0.
    format!("{:04}-W{:02}", week.year(), week.week())
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    date - chrono::Duration::days(date.weekday().num_days_from_monday() as i64)
}

fn month_label(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The months a window touches, oldest first.
fn months(window: &Window) -> Vec<String> {
    let mut out = Vec::new();
    let (mut year, mut month) = (window.from.year(), window.from.month());
    while (year, month) <= (window.to.year(), window.to.month()) {
        out.push(format!("{year:04}-{month:02}"));
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    out
}

fn groups(views: &[&View], keys: impl Fn(&View) -> Vec<Option<String>>) -> Vec<Group> {
    // key (matched lower-case) → (spellings, responded, applied)
    let mut by_key: BTreeMap<Option<String>, (Spellings, usize, usize)> = BTreeMap::new();
    for view in views {
        let responded = view.first_response().is_some();
        let mut seen = HashSet::new();
        for key in keys(view) {
            let matched = key.as_deref().map(str::to_lowercase);
            if !seen.insert(matched.clone()) {
                continue;
            }
            let entry = by_key.entry(matched).or_default();
            if let Some(key) = &key {
                entry.0.add(key);
            }
            entry.1 += usize::from(responded);
            entry.2 += 1;
        }
    }
    let mut out: Vec<Group> = by_key
        .into_iter()
        .map(|(key, (spellings, count, n))| {
            let rate = Rate::new(count, n);
            Group {
                key: key.map(|_| spellings.best()),
                count,
                n,
                rate: rate.rate,
                small_sample: rate.small_sample,
            }
        })
        .collect();
    out.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.key.cmp(&b.key)));
    out
}

/// The first `most` of `list`, and how many it held.
fn capped<T>(mut list: Vec<T>, most: usize) -> (Vec<T>, usize) {
    let total = list.len();
    list.truncate(most);
    (list, total)
}

fn key_counts(keys: impl Iterator<Item = Option<&'static str>>) -> Vec<KeyCount> {
    let mut counts: BTreeMap<Option<&'static str>, usize> = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    let mut out: Vec<KeyCount> = counts
        .into_iter()
        .map(|(key, count)| KeyCount {
            key: key.map(str::to_owned),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

impl SearchData {
    /// The applications with their children; children of unknown applications are dropped.
    fn views(&self) -> Vec<View<'_>> {
        let mut index: HashMap<Id, usize> = HashMap::with_capacity(self.applications.len());
        let mut views: Vec<View> = Vec::with_capacity(self.applications.len());
        for app in &self.applications {
            index.insert(app.id, views.len());
            views.push(View {
                app,
                feedback: Vec::new(),
                rejections: Vec::new(),
            });
        }
        for f in &self.feedback {
            if let Some(&i) = index.get(&f.application_id) {
                views[i].feedback.push(f);
            }
        }
        for r in &self.rejections {
            if let Some(&i) = index.get(&r.application_id) {
                views[i].rejections.push(r);
            }
        }
        views
    }

    /// `GET /analytics/summary` over `window`.
    pub fn summary(&self, window: Window) -> Summary {
        let views = self.views();
        let in_window: Vec<&View> = views
            .iter()
            .filter(|v| window.contains(v.anchor()))
            .collect();
        let applied: Vec<&View> = in_window
            .iter()
            .copied()
            .filter(|v| v.applied_on().is_some())
            .collect();

        let mut by_status: BTreeMap<String, usize> = <Status as strum::VariantNames>::VARIANTS
            .iter()
            .map(|name| ((*name).to_owned(), 0))
            .collect();
        for view in &in_window {
            *by_status
                .entry(view.app.status.as_str().to_owned())
                .or_default() += 1;
        }

        let funnel = FUNNEL
            .iter()
            .enumerate()
            .map(|(k, &stage)| FunnelStage {
                stage,
                count: in_window
                    .iter()
                    .filter(|v| v.reached() as usize > k)
                    .count(),
            })
            .collect();

        let mut waiting = 0;
        let mut days = Vec::new();
        for view in &applied {
            match (view.applied_on(), view.first_response()) {
                (Some(applied_on), Some(response)) => {
                    days.push((response - applied_on).num_days().max(0));
                }
                _ => waiting += 1,
            }
        }
        days.sort_unstable();
        let responded = days.len();
        let reached = |k: u8| applied.iter().filter(|v| v.reached() >= k).count();
        let rates = Rates {
            response: Rate::new(responded, applied.len()),
            interview: Rate::new(reached(3), applied.len()),
            offer: Rate::new(reached(4), applied.len()),
        };
        let time_to_first_response = ResponseTime {
            n: responded,
            waiting,
            median_days: percentile(&days, 50),
            p75_days: percentile(&days, 75),
        };

        let (by_source, by_source_total) =
            capped(groups(&applied, |v| vec![v.app.source.clone()]), MAX_GROUPS);
        let (by_tag, by_tag_total) = capped(
            groups(&applied, |v| v.app.tags.iter().cloned().map(Some).collect()),
            MAX_GROUPS,
        );
        let last_monday = monday_of(window.to);
        let weekly_applications = (0..WEEKS)
            .rev()
            .map(|back| {
                let start = last_monday - chrono::Duration::weeks(back as i64);
                let end = start + chrono::Duration::days(6);
                Week {
                    week: iso_week_label(start),
                    start,
                    count: views
                        .iter()
                        .filter_map(View::applied_on)
                        .filter(|d| start <= *d && *d <= end)
                        .count(),
                }
            })
            .collect();

        Summary {
            window,
            total: in_window.len(),
            by_status,
            funnel,
            rates,
            time_to_first_response,
            weekly_applications,
            by_source,
            by_source_total,
            by_work_mode: groups(&applied, |v| {
                vec![v.app.work_mode.map(|m| m.as_str().to_owned())]
            }),
            by_tag,
            by_tag_total,
        }
    }

    /// `GET /analytics/rejections` over `window` (rejections dated in it).
    pub fn rejection_summary(&self, window: Window) -> RejectionSummary {
        let views = self.views();
        let rejections: Vec<(&View, &Rejection)> = views
            .iter()
            .flat_map(|v| v.rejections.iter().map(move |r| (v, *r)))
            .filter(|(_, r)| window.contains(rejection_date(r)))
            .collect();

        let mut reasons: HashMap<String, (Spellings, usize)> = HashMap::new();
        for (_, rejection) in &rejections {
            let mut seen = HashSet::new();
            for reason in &rejection.reasons {
                let key = reason_key(reason);
                if key.is_empty() || !seen.insert(key.clone()) {
                    continue;
                }
                let entry = reasons.entry(key).or_default();
                entry
                    .0
                    .add(&reason.split_whitespace().collect::<Vec<_>>().join(" "));
                entry.1 += 1;
            }
        }
        let mut top_reasons: Vec<(String, ReasonCount)> = reasons
            .into_iter()
            .map(|(key, (spellings, count))| {
                (
                    key,
                    ReasonCount {
                        reason: spellings.best(),
                        count,
                    },
                )
            })
            .collect();
        top_reasons.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        top_reasons.truncate(TOP_REASONS);

        let without = rejections
            .iter()
            .filter(|(_, r)| {
                r.reasons.iter().all(|reason| reason.trim().is_empty())
                    && matches!(r.category, None | Some(RejectionCategory::NoFeedback))
            })
            .count();

        let mut days: Vec<i64> = rejections
            .iter()
            .filter_map(|(v, r)| {
                v.applied_on()
                    .map(|applied| (rejection_date(r) - applied).num_days().max(0))
            })
            .collect();
        days.sort_unstable();

        RejectionSummary {
            window,
            total: rejections.len(),
            by_category: key_counts(
                rejections
                    .iter()
                    .map(|(_, r)| r.category.map(RejectionCategory::as_str)),
            ),
            by_stage: key_counts(
                rejections
                    .iter()
                    .map(|(_, r)| r.stage.map(RejectionStage::as_str)),
            ),
            top_reasons: top_reasons.into_iter().map(|(_, r)| r).collect(),
            without_feedback: Rate::new(without, rejections.len()),
            days_to_rejection: DaysToRejection {
                n: days.len(),
                median_days: percentile(&days, 50),
            },
        }
    }

    /// `GET /analytics/skills` over `window` (feedback and rejections dated in it).
    pub fn skills(&self, window: Window) -> SkillSummary {
        #[derive(Default)]
        struct Tally {
            spellings: Spellings,
            // month → [strengths, improvements, rejections]
            months: BTreeMap<String, [usize; 3]>,
            first: Option<NaiveDate>,
            last: Option<NaiveDate>,
            halves: [usize; 2],
            improvement_companies: HashSet<String>,
            improvements: usize,
        }
        let middle = window.middle();
        let mut tallies: HashMap<String, Tally> = HashMap::new();
        let mut mention = |name: &str, kind: usize, date: NaiveDate, company: &str| {
            let key = skill_key(name);
            if key.is_empty() {
                return;
            }
            let tally = tallies.entry(key).or_default();
            tally.spellings.add(name);
            tally.months.entry(month_label(date)).or_default()[kind] += 1;
            tally.first = Some(tally.first.map_or(date, |d| d.min(date)));
            tally.last = Some(tally.last.map_or(date, |d| d.max(date)));
            tally.halves[usize::from(date >= middle)] += 1;
            if kind == 1 {
                tally.improvements += 1;
                tally
                    .improvement_companies
                    .insert(reason_key(company).replace(' ', ""));
            }
        };
        for view in self.views() {
            for f in &view.feedback {
                let date = feedback_date(f);
                if !window.contains(date) {
                    continue;
                }
                for s in &f.strengths {
                    mention(s, 0, date, &view.app.company);
                }
                for s in &f.improvements {
                    mention(s, 1, date, &view.app.company);
                }
            }
            for r in &view.rejections {
                let date = rejection_date(r);
                if !window.contains(date) {
                    continue;
                }
                for s in &r.reasons {
                    mention(s, 2, date, &view.app.company);
                }
            }
        }
        let all_months = months(&window);
        let mut skills: Vec<Skill> = Vec::with_capacity(tallies.len());
        let mut recurring = Vec::new();
        for (key, tally) in tallies {
            let total = |kind: usize| tally.months.values().map(|m| m[kind]).sum::<usize>();
            let (strengths, improvements, rejections) = (total(0), total(1), total(2));
            let display = tally.spellings.best();
            if tally.improvement_companies.len() >= 2 {
                recurring.push((
                    key.clone(),
                    RecurringImprovement {
                        skill: display.clone(),
                        companies: tally.improvement_companies.len(),
                        mentions: tally.improvements,
                    },
                ));
            }
            let by_month = all_months
                .iter()
                .map(|month| {
                    let [s, i, r] = tally.months.get(month).copied().unwrap_or_default();
                    MonthCount {
                        month: month.clone(),
                        strengths: s,
                        improvements: i,
                        rejections: r,
                    }
                })
                .collect();
            skills.push(Skill {
                skill: display,
                mentions: strengths + improvements + rejections,
                strengths,
                improvements,
                rejections,
                by_month,
                first_seen: tally.first.unwrap_or(window.from),
                last_seen: tally.last.unwrap_or(window.to),
                trend: trend(tally.halves[0], tally.halves[1]),
            });
        }
        skills.sort_by(|a, b| {
            b.mentions
                .cmp(&a.mentions)
                .then_with(|| skill_key(&a.skill).cmp(&skill_key(&b.skill)))
        });
        recurring.sort_by(|a, b| {
            b.1.companies
                .cmp(&a.1.companies)
                .then_with(|| b.1.mentions.cmp(&a.1.mentions))
                .then_with(|| a.0.cmp(&b.0))
        });
        let (skills, skills_total) = capped(skills, MAX_SKILLS);
        let (recurring_improvements, recurring_improvements_total) =
            capped(recurring.into_iter().map(|(_, r)| r).collect(), MAX_SKILLS);
        SkillSummary {
            window,
            skills,
            skills_total,
            recurring_improvements,
            recurring_improvements_total,
        }
    }

    /// Every follow-up of every live, non-terminal application, due or not (the calendar feed
    /// shows them all; the agenda only those due).
    pub fn follow_ups(&self, today: NaiveDate) -> Vec<FollowUp> {
        let mut out = Vec::new();
        for view in self.views() {
            let app = view.app;
            if app.status.is_terminal() {
                continue;
            }
            let item = |kind, nudge, reason: String, due| FollowUp {
                application_id: app.id,
                company: app.company.clone(),
                role: app.role.clone(),
                status: app.status,
                kind,
                nudge,
                reason,
                due,
            };
            if let Some(date) = app.follow_up_on {
                // A date the user set replaces the suggestions.
                out.push(item(
                    FollowUpKind::Scheduled,
                    None,
                    "follow-up date you set".to_owned(),
                    date,
                ));
                continue;
            }
            let Some(days) = silence_limit(app.status) else {
                continue;
            };
            let last = view.last_activity();
            let silent = (today - last).num_days();
            let nudge: u8 = if silent < 2 * days { 1 } else { 2 };
            if silent >= 3 * days {
                continue; // two nudges went unanswered: no more suggestions
            }
            let due = last + chrono::Duration::days(days * i64::from(nudge));
            let reason = format!(
                "{} and silent for {} days since {last} (nudge {nudge} of 2)",
                app.status.as_str(),
                days * i64::from(nudge),
            );
            out.push(item(FollowUpKind::Suggested, Some(nudge), reason, due));
        }
        out.sort_by(|a, b| {
            a.due
                .cmp(&b.due)
                .then_with(|| a.company.cmp(&b.company))
                .then_with(|| a.application_id.cmp(&b.application_id))
        });
        out
    }

    /// `GET /follow-ups`: the follow-ups due today or earlier.
    pub fn agenda(&self, today: NaiveDate) -> Agenda {
        let mut items = self.follow_ups(today);
        items.retain(|item| item.due <= today);
        let (items, total) = capped(items, MAX_FOLLOW_UPS);
        Agenda {
            today,
            items,
            total,
        }
    }
}

/// Days of silence after which a nudge is suggested, per status; none for statuses that wait
/// on the user (saved) or are over (terminal).
pub fn silence_limit(status: Status) -> Option<i64> {
    match status {
        Status::Applied | Status::Screening => Some(7),
        Status::Interviewing => Some(5),
        Status::Offer => Some(3),
        _ => None,
    }
}

/// Rising: the second half of the window has at least twice the first half's mentions and at
/// least 2 more; falling: the mirror image; else steady.
pub fn trend(first: usize, second: usize) -> Trend {
    if second >= 2 * first && second >= first + 2 {
        Trend::Rising
    } else if first >= 2 * second && first >= second + 2 {
        Trend::Falling
    } else {
        Trend::Steady
    }
}

/// The follow-ups as an RFC 5545 calendar: one all-day event per follow-up, for the first
/// [`MAX_FOLLOW_UPS`] of them. `stamp` is the `DTSTAMP` (UTC, `YYYYMMDDTHHMMSSZ`).
pub fn calendar(items: &[FollowUp], stamp: &str) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Feedback Tracker//Follow-ups//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "X-WR-CALNAME:Job search follow-ups".to_owned(),
    ];
    // An iCalendar DATE has a four-digit year (RFC 5545 §3.3.4): nothing after 9999-12-31.
    let writable = |day: &NaiveDate| day.year() <= 9999;
    // A follow-up due after the last writable day is left out: one unreadable date would make
    // a calendar app refuse the whole feed.
    for item in items
        .iter()
        .filter(|item| writable(&item.due))
        .take(MAX_FOLLOW_UPS)
    {
        let kind = match item.kind {
            FollowUpKind::Scheduled => "scheduled".to_owned(),
            FollowUpKind::Suggested => format!("nudge{}", item.nudge.unwrap_or(1)),
        };
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}-{kind}@feedback-tracker", item.application_id),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", item.due.format("%Y%m%d")),
        ]);
        // The next day; on the last day there is none, and an all-day event without DTEND
        // lasts one day (RFC 5545 §3.6.1).
        if let Some(end) = item.due.succ_opt().filter(writable) {
            lines.push(format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        }
        lines.extend([
            format!(
                "SUMMARY:{}",
                escape_text(&format!("Follow up: {} – {}", item.company, item.role))
            ),
            format!("DESCRIPTION:{}", escape_text(&item.reason)),
            "TRANSP:TRANSPARENT".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    // A calendar holds at least one component (RFC 5545 §3.6), and strict readers refuse one
    // without: with no event, a time zone (UTC, which the feed's dates are in) stands in.
    if !lines.iter().any(|line| line == "BEGIN:VEVENT") {
        lines.extend(
            [
                "BEGIN:VTIMEZONE",
                "TZID:UTC",
                "BEGIN:STANDARD",
                "DTSTART:19700101T000000",
                "TZOFFSETFROM:+0000",
                "TZOFFSETTO:+0000",
                "END:STANDARD",
                "END:VTIMEZONE",
            ]
            .map(str::to_owned),
        );
    }
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|line| fold(line)).collect()
}

/// RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma and newlines escaped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 5545 §3.1: lines of at most 75 octets, continued with CRLF and a space, never splitting
/// a UTF-8 character; every line ends with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests;
