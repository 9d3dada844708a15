//! Hand-computed fixtures for every formula of `docs/analytics.md`, and a property test that
//! checks the summary against a straightforward recomputation on random histories.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn at(day: &str) -> String {
    format!("{day}T12:00:00.000Z")
}

/// An application: `history` is `(status, day)`, the current status is the last entry's.
fn app(company: &str, history: &[(&str, &str)], extra: Value) -> Application {
    let mut value = json!({
        "id": Id::generate().to_string(),
        "company": company,
        "role": "Engineer",
        "status": history.last().unwrap().0,
        "status_history": history.iter().map(|(s, d)| json!({"status": s, "at": at(d)})).collect::<Vec<_>>(),
        "created_at": at(history[0].1),
        "updated_at": at(history.last().unwrap().1),
        "version": 1,
        "tags": [],
    });
    if history.iter().any(|(s, _)| *s != "saved") {
        value["applied_date"] = json!(history[0].1);
    }
    for (key, v) in extra.as_object().unwrap() {
        value[key] = v.clone();
    }
    serde_json::from_value(value).unwrap()
}

fn feedback(app: &Application, day: &str, strengths: &[&str], improvements: &[&str]) -> Feedback {
    serde_json::from_value(json!({
        "id": Id::generate().to_string(),
        "application_id": app.id.to_string(),
        "feedback_date": day,
        "strengths": strengths,
        "improvements": improvements,
        "created_at": at(day), "updated_at": at(day), "version": 1,
    }))
    .unwrap()
}

fn rejection(
    app: &Application,
    day: &str,
    category: Value,
    stage: Value,
    reasons: &[&str],
) -> Rejection {
    serde_json::from_value(json!({
        "id": Id::generate().to_string(),
        "application_id": app.id.to_string(),
        "rejected_date": day,
        "category": category,
        "stage": stage,
        "reasons": reasons,
        "created_at": at(day), "updated_at": at(day), "version": 1,
    }))
    .unwrap()
}

fn window(from: &str, to: &str) -> Window {
    Window::new(Some(date(from)), Some(date(to)), date(to)).unwrap()
}

#[test]
fn the_applied_day_is_the_earliest_entry_at_applied_or_beyond_whatever_the_order() {
    // A history listed out of order (stored before imports sorted it).
    let a = app(
        "Acme",
        &[("screening", "2026-02-10"), ("applied", "2026-02-01")],
        json!({"applied_date": null}),
    );
    let view = View {
        app: &a,
        feedback: vec![],
        rejections: vec![],
    };
    assert_eq!(view.applied_on(), Some(date("2026-02-01")));
}

#[test]
fn the_window_defaults_to_the_last_90_days_and_is_bounded() {
    let today = date("2026-11-26");
    let w = Window::new(None, None, today).unwrap();
    assert_eq!((w.from, w.to), (date("2026-08-29"), today));
    assert_eq!((w.to - w.from).num_days() + 1, 90);
    let w = Window::new(None, Some(date("2026-01-31")), today).unwrap();
    assert_eq!(w.from, date("2025-11-03"));
    assert!(Window::new(Some(date("2026-02-01")), Some(date("2026-01-01")), today).is_err());
    assert!(Window::new(Some(date("2020-01-01")), Some(date("2026-01-01")), today).is_err());
    assert!(Window::new(Some(date("2026-01-01")), Some(date("2026-01-01")), today).is_ok());
    // Both ends count: `to` at most 1,097 days after `from` (as the document says).
    let from = date("2026-01-01");
    let days_after = |n| Some(from + chrono::Duration::days(n));
    assert!(Window::new(Some(from), days_after(MAX_WINDOW_DAYS - 1), today).is_ok());
    assert!(Window::new(Some(from), days_after(MAX_WINDOW_DAYS), today).is_err());
    // Far-off dates are refused, not computed with (no date arithmetic near chrono's limits).
    assert!(Window::new(None, Some(date("0001-01-05")), today).is_err());
    assert!(Window::new(Some(date("9999-12-01")), Some(date("9999-12-31")), today).is_ok());
    let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    assert!(Window::new(Some(far), Some(far), today).is_err());
    let summary = SearchData::default().summary(window("9999-12-01", "9999-12-31"));
    assert_eq!(summary.weekly_applications.len(), 12);
}

#[test]
fn percentiles_are_nearest_rank_and_need_five_values() {
    assert_eq!(percentile(&[1, 2, 3, 4], 50), None);
    assert_eq!(percentile(&[1, 2, 5, 7, 10], 50), Some(5));
    assert_eq!(percentile(&[1, 2, 5, 7, 10], 75), Some(7));
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&ten, 50), Some(5));
    assert_eq!(percentile(&ten, 75), Some(8));
}

#[test]
fn names_match_case_and_spacing_insensitively() {
    assert_eq!(skill_key(" System  Design"), "systemdesign");
    assert_eq!(skill_key("systemdesign"), "systemdesign");
    assert_eq!(reason_key("  Not enough   Rust "), "not enough rust");
}

/// The fixture of docs/analytics.md ("Worked example: summary").
fn summary_fixture() -> SearchData {
    let a = app(
        "A",
        &[
            ("applied", "2026-01-05"),
            ("screening", "2026-01-10"),
            ("interviewing", "2026-01-20"),
            ("rejected", "2026-02-01"),
        ],
        json!({"source": "LinkedIn", "work_mode": "remote", "tags": ["rust"]}),
    );
    let b = app(
        "B",
        &[("applied", "2026-01-06")],
        json!({"source": "linkedin", "tags": ["rust", "backend"]}),
    );
    let c = app(
        "C",
        &[("applied", "2026-01-07")],
        json!({"source": "referral"}),
    );
    let d = app("D", &[("saved", "2026-01-08")], json!({}));
    let e = app(
        "E",
        &[("applied", "2025-12-01"), ("screening", "2025-12-05")],
        json!({}),
    );
    let f = app(
        "F",
        &[
            ("applied", "2026-02-01"),
            ("screening", "2026-02-03"),
            ("interviewing", "2026-02-05"),
            ("offer", "2026-02-20"),
            ("accepted", "2026-02-25"),
        ],
        json!({}),
    );
    let g = app(
        "G",
        &[
            ("applied", "2026-02-02"),
            ("screening", "2026-02-09"),
            ("applied", "2026-02-10"),
        ],
        json!({}),
    );
    let h = app(
        "H",
        &[("applied", "2026-02-03"), ("rejected", "2026-02-04")],
        json!({}),
    );
    let feedback = vec![feedback(&b, "2026-01-16", &[], &[])];
    let rejections = vec![rejection(
        &h,
        "2026-02-04",
        json!("skills_gap"),
        json!(null),
        &[],
    )];
    SearchData {
        applications: vec![a, b, c, d, e, f, g, h],
        feedback,
        rejections,
    }
}

#[test]
fn summary_matches_the_hand_computed_fixture() {
    let s = summary_fixture().summary(window("2026-01-01", "2026-03-31"));
    assert_eq!(s.total, 7);
    assert_eq!(s.by_status["rejected"], 2);
    assert_eq!(s.by_status["applied"], 3);
    assert_eq!(s.by_status["saved"], 1);
    assert_eq!(s.by_status["accepted"], 1);
    assert_eq!(s.by_status["offer"], 0);
    let funnel: Vec<usize> = s.funnel.iter().map(|f| f.count).collect();
    assert_eq!(funnel, [6, 3, 2, 1, 1]);
    assert_eq!((s.rates.response.count, s.rates.response.n), (5, 6));
    assert_eq!((s.rates.interview.count, s.rates.offer.count), (2, 1));
    assert!(!s.rates.response.small_sample);
    assert_eq!(s.rates.response.rate, Some(5.0 / 6.0));
    let t = &s.time_to_first_response;
    assert_eq!(
        (t.n, t.waiting, t.median_days, t.p75_days),
        (5, 1, Some(5), Some(7))
    );
    assert_eq!(s.weekly_applications.len(), 12);
    assert_eq!(s.weekly_applications[0].week, "2026-W03");
    assert_eq!(s.weekly_applications[11].start, date("2026-03-30"));
    let weeks: Vec<(&str, usize)> = s
        .weekly_applications
        .iter()
        .filter(|w| w.count > 0)
        .map(|w| (w.week.as_str(), w.count))
        .collect();
    assert_eq!(weeks, [("2026-W05", 1), ("2026-W06", 2)]);
    let sources: Vec<(Option<&str>, usize, usize, bool)> = s
        .by_source
        .iter()
        .map(|g| (g.key.as_deref(), g.count, g.n, g.small_sample))
        .collect();
    assert_eq!(
        sources,
        [
            (None, 3, 3, true),
            (Some("LinkedIn"), 2, 2, true),
            (Some("referral"), 0, 1, true)
        ]
    );
    let tags: Vec<(Option<&str>, usize, usize)> = s
        .by_tag
        .iter()
        .map(|g| (g.key.as_deref(), g.count, g.n))
        .collect();
    assert_eq!(tags, [(Some("rust"), 2, 2), (Some("backend"), 1, 1)]);
    let modes: Vec<(Option<&str>, usize)> = s
        .by_work_mode
        .iter()
        .map(|g| (g.key.as_deref(), g.n))
        .collect();
    assert_eq!(modes, [(None, 5), (Some("remote"), 1)]);
}

#[test]
fn children_of_deleted_applications_are_ignored() {
    let mut data = summary_fixture();
    let gone = app("Gone", &[("applied", "2026-01-05")], json!({}));
    data.feedback
        .push(feedback(&gone, "2026-01-06", &["Rust"], &[]));
    let s = data.summary(window("2026-01-01", "2026-03-31"));
    assert_eq!(s.total, 7);
    assert!(
        data.skills(window("2026-01-01", "2026-03-31"))
            .skills
            .is_empty()
    );
}

#[test]
fn rejections_match_the_hand_computed_fixture() {
    let p = app(
        "P",
        &[("applied", "2026-01-01"), ("rejected", "2026-01-11")],
        json!({}),
    );
    let q = app(
        "Q",
        &[("applied", "2026-01-02"), ("rejected", "2026-01-04")],
        json!({}),
    );
    let r = app(
        "R",
        &[("applied", "2026-01-03"), ("rejected", "2026-01-05")],
        json!({}),
    );
    let s = app(
        "S",
        &[("applied", "2025-06-01"), ("rejected", "2025-07-01")],
        json!({}),
    );
    let rejections = vec![
        rejection(
            &p,
            "2026-01-11",
            json!("skills_gap"),
            json!("technical"),
            &["System design ", "system  design", "Communication"],
        ),
        rejection(&q, "2026-01-04", json!(null), json!(null), &[]),
        rejection(
            &r,
            "2026-01-05",
            json!("no_feedback"),
            json!("application"),
            &["  SYSTEM DESIGN"],
        ),
        rejection(&s, "2025-07-01", json!("other"), json!(null), &[]),
    ];
    let data = SearchData {
        applications: vec![p, q, r, s],
        feedback: vec![],
        rejections,
    };
    let out = data.rejection_summary(window("2026-01-01", "2026-03-31"));
    assert_eq!(out.total, 3);
    let categories: Vec<(Option<&str>, usize)> = out
        .by_category
        .iter()
        .map(|k| (k.key.as_deref(), k.count))
        .collect();
    assert_eq!(
        categories,
        [(None, 1), (Some("no_feedback"), 1), (Some("skills_gap"), 1)]
    );
    let stages: Vec<(Option<&str>, usize)> = out
        .by_stage
        .iter()
        .map(|k| (k.key.as_deref(), k.count))
        .collect();
    assert_eq!(
        stages,
        [(None, 1), (Some("application"), 1), (Some("technical"), 1)]
    );
    let reasons: Vec<(&str, usize)> = out
        .top_reasons
        .iter()
        .map(|r| (r.reason.as_str(), r.count))
        .collect();
    assert_eq!(reasons, [("System design", 2), ("Communication", 1)]);
    assert_eq!((out.without_feedback.count, out.without_feedback.n), (1, 3));
    assert_eq!(
        (out.days_to_rejection.n, out.days_to_rejection.median_days),
        (3, None)
    );
}

#[test]
fn skills_match_the_hand_computed_fixture() {
    let acme = app(
        "Acme",
        &[("applied", "2026-01-02"), ("interviewing", "2026-01-09")],
        json!({}),
    );
    let beta = app(
        "Beta",
        &[("applied", "2026-03-01"), ("rejected", "2026-04-20")],
        json!({}),
    );
    let acme2 = app(
        "ACME ",
        &[("applied", "2026-04-01"), ("interviewing", "2026-04-05")],
        json!({}),
    );
    let feedback = vec![
        feedback(&acme, "2026-01-10", &["Rust"], &["System Design"]),
        feedback(&beta, "2026-03-15", &[], &["system design", "SQL"]),
        feedback(&beta, "2026-04-01", &[], &["systemdesign"]),
        feedback(&acme2, "2026-04-10", &[], &["SQL"]),
    ];
    let rejections = vec![rejection(
        &beta,
        "2026-04-20",
        json!(null),
        json!(null),
        &["System  design"],
    )];
    let data = SearchData {
        applications: vec![acme, beta, acme2],
        feedback,
        rejections,
    };
    let out = data.skills(window("2026-01-01", "2026-04-30"));
    let skills: Vec<(&str, usize, usize, usize, usize, Trend)> = out
        .skills
        .iter()
        .map(|s| {
            (
                s.skill.as_str(),
                s.mentions,
                s.strengths,
                s.improvements,
                s.rejections,
                s.trend,
            )
        })
        .collect();
    assert_eq!(
        skills,
        [
            ("System Design", 4, 0, 3, 1, Trend::Rising),
            ("SQL", 2, 0, 2, 0, Trend::Rising),
            ("Rust", 1, 1, 0, 0, Trend::Steady),
        ]
    );
    let design = &out.skills[0];
    assert_eq!(
        (design.first_seen, design.last_seen),
        (date("2026-01-10"), date("2026-04-20"))
    );
    let months: Vec<(&str, usize, usize)> = design
        .by_month
        .iter()
        .map(|m| (m.month.as_str(), m.improvements, m.rejections))
        .collect();
    assert_eq!(
        months,
        [
            ("2026-01", 1, 0),
            ("2026-02", 0, 0),
            ("2026-03", 1, 0),
            ("2026-04", 1, 1)
        ]
    );
    let recurring: Vec<(&str, usize, usize)> = out
        .recurring_improvements
        .iter()
        .map(|r| (r.skill.as_str(), r.companies, r.mentions))
        .collect();
    // "Acme" and "ACME " are one company.
    assert_eq!(recurring, [("System Design", 2, 3), ("SQL", 2, 2)]);
}

#[test]
fn skills_lists_the_100_most_mentioned_and_counts_them_all() {
    let acme = app("Acme", &[("applied", "2026-01-02")], json!({}));
    // Skill n is named n + 1 times (once more than skill n - 1), 150 distinct skills.
    let names: Vec<String> = (0..150).map(|n| format!("skill {n:03}")).collect();
    let feedback = names
        .iter()
        .enumerate()
        .flat_map(|(n, name)| {
            let acme = &acme;
            (0..=n).map(move |_| feedback(acme, "2026-01-10", &[name.as_str()], &[]))
        })
        .collect();
    let data = SearchData {
        applications: vec![acme],
        feedback,
        rejections: Vec::new(),
    };
    let out = data.skills(window("2026-01-01", "2026-01-31"));
    assert_eq!(out.skills_total, 150);
    assert_eq!(out.skills.len(), MAX_SKILLS);
    let listed: Vec<&str> = out.skills.iter().map(|s| s.skill.as_str()).collect();
    let most: Vec<&str> = names
        .iter()
        .rev()
        .take(MAX_SKILLS)
        .map(String::as_str)
        .collect();
    assert_eq!(listed, most);
}

#[test]
fn recurring_improvements_lists_100_and_counts_them_all() {
    let acme = app("Acme", &[("applied", "2026-01-02")], json!({}));
    let globex = app("Globex", &[("applied", "2026-01-02")], json!({}));
    let names: Vec<String> = (0..150).map(|n| format!("skill {n:03}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let data = SearchData {
        feedback: vec![
            feedback(&acme, "2026-01-10", &[], &names),
            feedback(&globex, "2026-01-11", &[], &names),
        ],
        applications: vec![acme, globex],
        rejections: Vec::new(),
    };
    let out = data.skills(window("2026-01-01", "2026-01-31"));
    assert_eq!(out.recurring_improvements_total, 150);
    assert_eq!(out.recurring_improvements.len(), MAX_SKILLS);
    // Ties in companies and mentions: alphabetical.
    assert_eq!(out.recurring_improvements[0].skill, "skill 000");
}

#[test]
fn the_summary_lists_the_100_largest_sources_and_tags_and_counts_them_all() {
    let applications: Vec<Application> = (0..150)
        .map(|n| {
            let tags = json!(["common", format!("tag {n:03}")]);
            let extra = json!({"source": format!("source {n:03}"), "tags": tags});
            app("Acme", &[("applied", "2026-01-02")], extra)
        })
        .collect();
    let data = SearchData {
        applications,
        feedback: Vec::new(),
        rejections: Vec::new(),
    };
    let out = data.summary(window("2026-01-01", "2026-01-31"));
    assert_eq!(
        (out.by_source.len(), out.by_source_total),
        (MAX_GROUPS, 150)
    );
    assert_eq!((out.by_tag.len(), out.by_tag_total), (MAX_GROUPS, 151));
    // The largest first: every application carries `common`.
    assert_eq!(out.by_tag[0].key.as_deref(), Some("common"));
    assert_eq!(out.by_tag[0].n, 150);
    assert_eq!(out.by_tag[1].key.as_deref(), Some("tag 000"));
}

#[test]
fn the_agenda_and_the_feed_hold_the_1000_follow_ups_due_first() {
    let today = date("2026-03-31");
    let applications: Vec<Application> = (0..MAX_FOLLOW_UPS + 1)
        .map(|n| {
            let due = date("2023-01-01") + chrono::Duration::days(n as i64);
            app(
                &format!("Company {n:04}"),
                &[("applied", "2023-01-01")],
                json!({"follow_up_on": due}),
            )
        })
        .collect();
    let data = SearchData {
        applications,
        feedback: Vec::new(),
        rejections: Vec::new(),
    };
    let agenda = data.agenda(today);
    assert_eq!(agenda.total, MAX_FOLLOW_UPS + 1);
    assert_eq!(agenda.items.len(), MAX_FOLLOW_UPS);
    assert_eq!(agenda.items[0].company, "Company 0000");
    assert_eq!(agenda.items.last().unwrap().company, "Company 0999");
    let feed = calendar(&data.follow_ups(today), "20260331T120000Z");
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), MAX_FOLLOW_UPS);
    assert!(feed.contains("Company 0999") && !feed.contains("Company 1000"));
}

#[test]
fn trends_need_a_doubling_and_two_mentions() {
    assert_eq!(trend(0, 1), Trend::Steady);
    assert_eq!(trend(0, 2), Trend::Rising);
    assert_eq!(trend(2, 4), Trend::Rising);
    assert_eq!(trend(3, 5), Trend::Steady);
    assert_eq!(trend(4, 1), Trend::Falling);
}

#[test]
fn follow_ups_follow_the_documented_rules() {
    let a1 = app("a1", &[("applied", "2026-03-10")], json!({}));
    let a2 = app("a2", &[("applied", "2026-02-20")], json!({}));
    let a3 = app(
        "a3",
        &[("applied", "2026-03-01"), ("interviewing", "2026-03-08")],
        json!({}),
    );
    let a4 = app(
        "a4",
        &[("applied", "2026-03-01"), ("rejected", "2026-03-02")],
        json!({"follow_up_on": "2026-03-05"}),
    );
    let a5 = app(
        "a5",
        &[("applied", "2026-03-01")],
        json!({"follow_up_on": "2026-03-25"}),
    );
    let a6 = app(
        "a6",
        &[("applied", "2026-03-01"), ("screening", "2026-03-02")],
        json!({"follow_up_on": "2026-03-18"}),
    );
    let a7 = app("a7", &[("applied", "2026-03-18")], json!({}));
    let a8 = app("a8", &[("saved", "2026-01-01")], json!({}));
    let fb = feedback(&a3, "2026-03-09", &[], &[]);
    let data = SearchData {
        applications: vec![a1, a2, a3, a4, a5, a6, a7, a8],
        feedback: vec![fb],
        rejections: vec![],
    };
    let today = date("2026-03-20");
    let all: Vec<(&str, FollowUpKind, Option<u8>, NaiveDate)> = data
        .follow_ups(today)
        .iter()
        .map(|f| (f.company.as_str(), f.kind, f.nudge, f.due))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(c, k, n, d)| (Box::leak(c.to_owned().into_boxed_str()) as &str, k, n, d))
        .collect();
    use FollowUpKind::{Scheduled, Suggested};
    assert_eq!(
        all,
        [
            ("a1", Suggested, Some(1), date("2026-03-17")),
            ("a6", Scheduled, None, date("2026-03-18")),
            ("a3", Suggested, Some(2), date("2026-03-19")),
            ("a5", Scheduled, None, date("2026-03-25")),
            ("a7", Suggested, Some(1), date("2026-03-25")),
        ]
    );
    let agenda = data.agenda(today);
    let due: Vec<&str> = agenda.items.iter().map(|f| f.company.as_str()).collect();
    assert_eq!(due, ["a1", "a6", "a3"]);
    assert!(agenda.items[0].reason.contains("silent for 7 days"));
}

#[test]
fn the_calendar_is_rfc_5545() {
    let a = app(
        "Acme, Inc; \\ \"Ünïcödé\" and a very long company name that needs folding",
        &[("applied", "2026-03-10")],
        json!({"follow_up_on": "2026-03-25"}),
    );
    let data = SearchData {
        applications: vec![a],
        ..Default::default()
    };
    let ics = calendar(&data.follow_ups(date("2026-03-20")), "20260320T080000Z");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.contains("DTSTART;VALUE=DATE:20260325\r\n"));
    assert!(ics.contains("DTEND;VALUE=DATE:20260326\r\n"));
    assert!(ics.contains("Acme\\, Inc\\; \\\\"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
        assert!(!line.contains('\n'));
    }
    // Unfolded, the summary is whole again.
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("needs folding – Engineer"));
    assert!(!ics.contains("VTIMEZONE"));

    // Without a follow-up, it still holds a component, as RFC 5545 asks.
    let empty = calendar(&[], "20260320T080000Z");
    assert!(empty.contains("\r\nBEGIN:VTIMEZONE\r\nTZID:UTC\r\n"));
    assert!(empty.ends_with("END:VTIMEZONE\r\nEND:VCALENDAR\r\n"));
}

// ---------------------------------------------------------------- property test

/// One generated application: statuses with day offsets, children as day offsets.
#[derive(Debug, Clone)]
struct Spec {
    history: Vec<(Status, u16)>,
    applied_date: Option<u16>,
    source: Option<&'static str>,
    tags: Vec<&'static str>,
    feedback: Vec<u16>,
    rejections: Vec<(u16, bool)>,
}

const BASE: &str = "2025-06-01";

fn day(offset: u16) -> NaiveDate {
    date(BASE) + chrono::Duration::days(offset as i64)
}

fn status() -> impl Strategy<Value = Status> {
    proptest::sample::select(<Status as strum::VariantNames>::VARIANTS)
        .prop_map(|name| name.parse::<Status>().unwrap())
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec((status(), 0u16..40), 1..5),
        0u16..400,
        proptest::option::of(0u16..30),
        proptest::option::of(proptest::sample::select(vec![
            "linkedin", "LinkedIn", "referral",
        ])),
        proptest::sample::subsequence(vec!["rust", "go", "remote"], 0..3),
        proptest::collection::vec(0u16..60, 0..3),
        proptest::collection::vec((0u16..60, any::<bool>()), 0..2),
    )
        .prop_map(
            |(steps, start, applied, source, tags, feedback, rejections)| {
                let mut offset = start;
                let history = steps
                    .into_iter()
                    .map(|(s, gap)| {
                        offset += gap;
                        (s, offset)
                    })
                    .collect();
                Spec {
                    history,
                    applied_date: applied.map(|a| start + a),
                    source,
                    tags,
                    feedback: feedback.into_iter().map(|f| start + f).collect(),
                    rejections: rejections
                        .into_iter()
                        .map(|(r, reasons)| (start + r, reasons))
                        .collect(),
                }
            },
        )
}

fn build(specs: &[Spec]) -> SearchData {
    let mut data = SearchData::default();
    for spec in specs {
        let history: Vec<(String, String)> = spec
            .history
            .iter()
            .map(|(s, d)| (s.as_str().to_owned(), day(*d).to_string()))
            .collect();
        let borrowed: Vec<(&str, &str)> = history
            .iter()
            .map(|(s, d)| (s.as_str(), d.as_str()))
            .collect();
        let mut application = app(
            "X",
            &borrowed,
            json!({"source": spec.source, "tags": spec.tags}),
        );
        application.applied_date = spec.applied_date.map(day);
        for &f in &spec.feedback {
            let improvements: &[&str] = if f % 2 == 0 {
                &["System Design"]
            } else {
                &["system  design", "SQL"]
            };
            data.feedback.push(feedback(
                &application,
                &day(f).to_string(),
                &["Rust", "rust "],
                improvements,
            ));
        }
        for &(r, reasons) in &spec.rejections {
            let given: &[&str] = if reasons { &["Too junior"] } else { &[] };
            data.rejections.push(rejection(
                &application,
                &day(r).to_string(),
                json!(null),
                json!(null),
                given,
            ));
        }
        data.applications.push(application);
    }
    data
}

/// The figures recomputed the long way, one application at a time, from the definitions.
struct Reference {
    total: usize,
    applied: usize,
    funnel: [usize; 5],
    responded: usize,
    days: Vec<i64>,
}

fn reference(specs: &[Spec], w: Window) -> Reference {
    let mut out = Reference {
        total: 0,
        applied: 0,
        funnel: [0; 5],
        responded: 0,
        days: vec![],
    };
    for spec in specs {
        let statuses: Vec<Status> = spec.history.iter().map(|(s, _)| *s).collect();
        let ever = |wanted: &[Status]| statuses.iter().any(|s| wanted.contains(s));
        use Status::*;
        let applied = spec.applied_date.is_some()
            || ever(&[
                Applied,
                Screening,
                Interviewing,
                Offer,
                Accepted,
                Declined,
                Rejected,
                Ghosted,
            ]);
        let stages = [
            applied,
            ever(&[Screening, Interviewing, Offer, Accepted, Declined]),
            ever(&[Interviewing, Offer, Accepted, Declined]),
            ever(&[Offer, Accepted, Declined]),
            ever(&[Accepted]),
        ];
        let applied_on = applied.then(|| match spec.applied_date {
            Some(d) => day(d),
            None => spec
                .history
                .iter()
                .find(|(s, _)| !matches!(s, Saved | Withdrawn))
                .map(|(_, d)| day(*d))
                .unwrap(),
        });
        let anchor = applied_on.unwrap_or(day(spec.history[0].1));
        if !(w.from <= anchor && anchor <= w.to) {
            continue;
        }
        out.total += 1;
        for (k, reached) in stages.iter().enumerate() {
            out.funnel[k] += usize::from(*reached);
        }
        let Some(applied_on) = applied_on else {
            continue;
        };
        out.applied += 1;
        let mut responses: Vec<NaiveDate> = spec
            .history
            .iter()
            .filter(|(s, _)| !matches!(s, Saved | Applied | Withdrawn | Ghosted))
            .map(|(_, d)| day(*d))
            .collect();
        responses.extend(spec.feedback.iter().map(|d| day(*d)));
        responses.extend(spec.rejections.iter().map(|(d, _)| day(*d)));
        if let Some(first) = responses.into_iter().min() {
            out.responded += 1;
            out.days
                .push(std::cmp::max(0, (first - applied_on).num_days()));
        }
    }
    out.days.sort();
    out
}

fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.len() < 5 {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.max(1) - 1])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_summary_figure_matches_a_recomputation(
        specs in proptest::collection::vec(spec(), 0..30),
        from in 0u16..300,
        span in 0u16..300,
    ) {
        let data = build(&specs);
        let w = Window::new(Some(day(from)), Some(day(from + span)), day(from + span)).unwrap();
        let s = data.summary(w);
        let r = reference(&specs, w);
        prop_assert_eq!(s.total, r.total);
        prop_assert_eq!(s.by_status.values().sum::<usize>(), r.total);
        let funnel: Vec<usize> = s.funnel.iter().map(|f| f.count).collect();
        prop_assert_eq!(funnel, r.funnel.to_vec());
        prop_assert_eq!(s.rates.response, Rate::new(r.responded, r.applied));
        prop_assert_eq!(s.rates.interview, Rate::new(r.funnel[2], r.applied));
        prop_assert_eq!(s.rates.offer, Rate::new(r.funnel[3], r.applied));
        let t = &s.time_to_first_response;
        prop_assert_eq!(t.n, r.responded);
        prop_assert_eq!(t.waiting, r.applied - r.responded);
        prop_assert_eq!(t.median_days, nearest_rank(&r.days, 0.5));
        prop_assert_eq!(t.p75_days, nearest_rank(&r.days, 0.75));
        prop_assert_eq!(s.by_source.iter().map(|g| g.n).sum::<usize>(), r.applied);
        prop_assert_eq!(s.by_source.iter().map(|g| g.count).sum::<usize>(), r.responded);
        prop_assert_eq!(s.by_work_mode.iter().map(|g| g.n).sum::<usize>(), r.applied);
        for group in s.by_source.iter().chain(&s.by_tag) {
            prop_assert!(group.count <= group.n);
            prop_assert_eq!(group.small_sample, group.n < 5);
        }
        // Weeks: every applied application dated in them, whatever the window.
        let first_week = s.weekly_applications[0].start;
        let expected_weekly = specs
            .iter()
            .zip(&data.applications)
            .filter(|(_, a)| {
                let d = View { app: a, feedback: vec![], rejections: vec![] }.applied_on();
                d.is_some_and(|d| first_week <= d && d <= first_week + chrono::Duration::days(83))
            })
            .count();
        prop_assert_eq!(s.weekly_applications.iter().map(|w| w.count).sum::<usize>(), expected_weekly);

        let rejections = data.rejection_summary(w);
        let in_window: Vec<&(u16, bool)> = specs
            .iter()
            .flat_map(|s| &s.rejections)
            .filter(|(d, _)| w.contains(day(*d)))
            .collect();
        prop_assert_eq!(rejections.total, in_window.len());
        prop_assert_eq!(rejections.without_feedback.count, in_window.iter().filter(|(_, reasons)| !reasons).count());
        prop_assert_eq!(rejections.by_category.iter().map(|k| k.count).sum::<usize>(), in_window.len());

        // Skills: every name dated in the window counted once, under one spelling per key.
        let skills = data.skills(w);
        let names = |d: u16, n: usize| if w.contains(day(d)) { n } else { 0 };
        let expected: usize = specs
            .iter()
            .map(|s| {
                s.feedback.iter().map(|&f| names(f, if f % 2 == 0 { 3 } else { 4 })).sum::<usize>()
                    + s.rejections.iter().map(|&(r, reasons)| names(r, usize::from(reasons))).sum::<usize>()
            })
            .sum();
        prop_assert_eq!(skills.skills.iter().map(|s| s.mentions).sum::<usize>(), expected);
        let mut keys = HashSet::new();
        for skill in &skills.skills {
            prop_assert!(keys.insert(skill_key(&skill.skill)));
            let by_month: usize = skill.by_month.iter().map(|m| m.strengths + m.improvements + m.rejections).sum();
            prop_assert_eq!(by_month, skill.mentions);
            prop_assert!(w.from <= skill.first_seen && skill.first_seen <= skill.last_seen && skill.last_seen <= w.to);
        }
        prop_assert!(keys.len() <= 4); // rust, systemdesign, sql, toojunior

        // Follow-ups: never for a terminal status, at most one per application, due ≤ today in the agenda.
        let today = day(from + span);
        let agenda = data.agenda(today);
        let mut seen = HashSet::new();
        for item in &agenda.items {
            prop_assert!(!item.status.is_terminal());
            prop_assert!(item.due <= today);
            prop_assert!(seen.insert(item.application_id));
        }
    }
}
