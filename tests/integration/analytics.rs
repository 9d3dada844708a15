//! Analytics, follow-ups and the calendar feed against DynamoDB Local, through the gateway and
//! the functions' routers: figures from the caller's own items only, bad windows as 400s, the
//! calendar token's life cycle, and isolation between users.

use chrono::{Days, Utc};
use serde_json::{Value, json};
use testkit::{Session, TestApi, field_of_each};

fn days_ago(n: u64) -> String {
    (Utc::now().date_naive() - Days::new(n)).to_string()
}

/// Three applications: one interviewing with feedback, one rejected with reasons, one silent.
async fn seed(user: &Session<'_>) -> [String; 3] {
    let interviewing = user
        .create_application(
            json!({"company": "Acme", "role": "Dev", "applied_date": days_ago(20),
            "source": "referral", "tags": ["rust"]}),
        )
        .await
        .id();
    user.patch(&format!("/applications/{interviewing}"))
        .json(json!({"status": "interviewing"}))
        .await
        .expect(200);
    user.post(&format!("/applications/{interviewing}/feedback"))
        .json(json!({"feedback_date": days_ago(10), "strengths": ["Rust"], "improvements": ["System Design"]}))
        .await
        .expect(201);
    let rejected = user
        .create_application(
            json!({"company": "Beta", "role": "Dev", "applied_date": days_ago(30),
            "work_mode": "remote"}),
        )
        .await
        .id();
    user.post(&format!("/applications/{rejected}/rejections"))
        .json(json!({"rejected_date": days_ago(5), "category": "skills_gap", "reasons": ["system  design", " Team fit"]}))
        .await
        .expect(201);
    let silent = user
        .create_application(json!({"company": "Gamma", "role": "Dev", "applied_date": days_ago(9)}))
        .await
        .id();
    [interviewing, rejected, silent]
}

#[tokio::test]
async fn the_figures_come_from_the_callers_applications_and_children() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    seed(&user).await;

    let summary = user.get("/analytics/summary").await.expect(200).body;
    assert_eq!(summary["total"], 3);
    assert_eq!(summary["by_status"]["interviewing"], 1);
    assert_eq!(summary["by_status"]["rejected"], 1);
    assert_eq!(summary["by_status"]["applied"], 1);
    let funnel: Vec<u64> = summary["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    assert_eq!(funnel, [3, 1, 1, 0, 0]);
    assert_eq!(summary["rates"]["response"]["count"], 2);
    assert_eq!(summary["rates"]["response"]["n"], 3);
    assert_eq!(summary["rates"]["response"]["small_sample"], true);
    assert_eq!(summary["time_to_first_response"]["n"], 2);
    assert_eq!(summary["time_to_first_response"]["waiting"], 1);
    assert_eq!(
        summary["time_to_first_response"]["median_days"],
        Value::Null
    );
    assert_eq!(summary["weekly_applications"].as_array().unwrap().len(), 12);

    let rejections = user.get("/analytics/rejections").await.expect(200).body;
    assert_eq!(rejections["total"], 1);
    assert_eq!(rejections["by_category"][0]["key"], "skills_gap");
    assert_eq!(rejections["top_reasons"].as_array().unwrap().len(), 2);
    assert_eq!(rejections["without_feedback"]["count"], 0);

    let skills = user.get("/analytics/skills").await.expect(200).body;
    let design = skills["skills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["skill"] == "System Design")
        .expect("one skill, however spelled");
    assert_eq!(design["mentions"], 2);
    assert_eq!(design["improvements"], 1);
    assert_eq!(design["rejections"], 1);

    // Gamma: applied 9 days ago and silent since: nudge 1 was due 2 days ago.
    let agenda = user.get("/follow-ups").await.expect(200).body;
    let items = agenda["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{agenda}");
    assert_eq!(items[0]["company"], "Gamma");
    assert_eq!(items[0]["kind"], "suggested");
    assert_eq!(items[0]["due"], days_ago(2).as_str());
}

#[tokio::test]
async fn a_deleted_application_and_its_children_leave_the_figures() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let [interviewing, ..] = seed(&user).await;
    user.delete(&format!("/applications/{interviewing}"))
        .await
        .expect(204);
    let summary = user.get("/analytics/summary").await.expect(200).body;
    assert_eq!(summary["total"], 2);
    let skills = user.get("/analytics/skills").await.expect(200).body;
    assert!(
        skills["skills"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["skill"] != "Rust"),
        "{skills}"
    );
}

#[tokio::test]
async fn children_written_before_the_activity_index_count_once_touched() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user
        .create_application(json!({"company": "Old", "role": "Dev", "applied_date": days_ago(3)}))
        .await
        .id();
    let feedback = user
        .post(&format!("/applications/{app}/feedback"))
        .json(json!({"strengths": ["Legacy"]}))
        .await
        .expect(201)
        .id();
    // As written before this change: no activity key.
    for item in api.all_items().await {
        if item
            .get("type")
            .and_then(|t| t.as_s().ok())
            .map(String::as_str)
            == Some("feedback")
        {
            api.client
                .update_item()
                .table_name(&api.table)
                .set_key(Some(
                    [("PK", item["PK"].clone()), ("SK", item["SK"].clone())]
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                ))
                .update_expression("REMOVE GSI1PK, GSI1SK")
                .send()
                .await
                .unwrap();
        }
    }
    let skills = || async { user.get("/analytics/skills").await.expect(200).body };
    assert_eq!(skills().await["skills"].as_array().unwrap().len(), 0);
    user.patch(&format!("/applications/{app}/feedback/{feedback}"))
        .json(json!({"rating": 4}))
        .await
        .expect(200);
    assert_eq!(skills().await["skills"][0]["skill"], "Legacy");
}

#[tokio::test]
async fn bad_windows_and_parameters_are_400_and_no_token_is_401() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    for route in [
        "/analytics/summary",
        "/analytics/rejections",
        "/analytics/skills",
    ] {
        for query in [
            "from=yesterday",
            "to=2026-02-30",
            "from=2026-02-01&to=2026-01-01",
            "from=2020-01-01&to=2026-01-01",
            "window=7",
            "from=2026-01-01&from=2026-01-02",
            // Not `YYYY-MM-DD`, though a lenient parser reads them as dates.
            "from=2026-1-1",
            "to=2026-01-%201",
        ] {
            user.get(&format!("{route}?{query}"))
                .await
                .expect_problem(400);
        }
        let ok = user
            .get(&format!("{route}?from=2026-01-01&to=2026-01-31"))
            .await
            .expect(200);
        assert_eq!(
            ok.body["window"],
            json!({"from": "2026-01-01", "to": "2026-01-31"})
        );
        api.get(route).await.expect_problem(401);
    }
    user.get("/follow-ups?x=1").await.expect_problem(400);
    api.get("/follow-ups").await.expect_problem(401);
    api.post("/calendar-feed").await.expect_problem(401);
    user.put("/calendar-feed").await.expect_problem(405);
}

#[tokio::test]
async fn week_labels_have_four_digit_years_in_any_window() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let summary = user
        .get("/analytics/summary?from=0001-01-01&to=0001-03-01")
        .await
        .expect(200);
    // The 12 weeks end with the week of `to`, so they begin in the ISO year 0.
    let weeks = field_of_each(&summary.body["weekly_applications"], "week");
    assert_eq!(weeks.first(), Some(&"0000-W50"));
    assert_eq!(weeks.last(), Some(&"0001-W09"));
    let short = |label: &&str| label.split('-').next().unwrap().len() != 4;
    assert!(!weeks.iter().any(short), "{weeks:?}");
}

fn feed_path(reply: &testkit::Reply) -> String {
    let path = reply.body["path"].as_str().unwrap().to_owned();
    assert!(reply.body["url"].as_str().unwrap().ends_with(&path));
    path
}

#[tokio::test]
async fn the_calendar_token_is_a_revocable_capability() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user
        .create_application(json!({"company": "Acme", "role": "Dev", "follow_up_on": days_ago(0)}))
        .await
        .id();

    // Whether an address exists, and since when (the address itself is never shown again).
    user.get("/calendar-feed").await.expect_problem(404);
    let created = user.post("/calendar-feed").await.expect(201);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let first = feed_path(&created);
    let since = user.get("/calendar-feed").await.expect(200);
    assert_eq!(since.header("cache-control"), Some("no-store"));
    let first_since = since.body["created_at"].as_str().unwrap().to_owned();
    assert!(first_since.ends_with('Z'), "{first_since}");
    assert_eq!(since.body.as_object().unwrap().len(), 1, "{}", since.body);
    // Another user has none.
    api.signed_in()
        .get("/calendar-feed")
        .await
        .expect_problem(404);
    assert!(first.starts_with("/calendar/") && first.ends_with(".ics"));
    // The table holds the token's hash, never the token.
    let token = first
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics");
    assert_eq!(token.len(), 43);
    assert!(!format!("{:?}", api.all_items().await).contains(token));

    // No bearer token needed: the address is the capability.
    let ics = api.get(&first).await.expect(200);
    assert!(
        ics.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = String::from_utf8(ics.raw).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains(&format!("UID:{app}-scheduled@feedback-tracker")));
    assert!(text.contains("SUMMARY:Follow up: Acme – Dev"));

    // A new address revokes the old one.
    let second = feed_path(&user.post("/calendar-feed").await.expect(201));
    assert_ne!(first, second);
    api.get(&first).await.expect_problem(404);
    api.get(&second).await.expect(200);
    let second_since = user.get("/calendar-feed").await.expect(200).body["created_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        second_since > first_since,
        "{second_since} after {first_since}"
    );

    user.delete("/calendar-feed").await.expect(204);
    api.get(&second).await.expect_problem(404);
    user.get("/calendar-feed").await.expect_problem(404);
    user.delete("/calendar-feed").await.expect_problem(404);

    for junk in [
        "/calendar/x.ics",
        "/calendar/abc",
        // Not UTF-8 once decoded: still just an unknown address, not a bare-text 400.
        "/calendar/%ff.ics",
        &second.replace(".ics", ""),
        &format!("{second}.ics"),
    ] {
        api.get(junk).await.expect_problem(404);
    }
}

#[tokio::test]
async fn a_follow_up_at_the_end_of_the_calendar_keeps_the_feed_valid() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    // A "never" date some users set, and an application whose nudge falls after 9999-12-31.
    let never = user
        .create_application(
            json!({"company": "Never", "role": "Dev", "follow_up_on": "9999-12-31"}),
        )
        .await
        .id();
    let beyond = user
        .create_application(
            json!({"company": "Beyond", "role": "Dev", "applied_date": "9999-12-30"}),
        )
        .await
        .id();
    let today = user
        .create_application(json!({"company": "Today", "role": "Dev", "follow_up_on": days_ago(0)}))
        .await
        .id();
    let path = feed_path(&user.post("/calendar-feed").await.expect(201));
    let text = String::from_utf8(api.get(&path).await.expect(200).raw).unwrap();
    // RFC 5545 §3.3.4: a DATE is eight digits (a four-digit year).
    for line in text.lines().filter(|line| line.starts_with("DT")) {
        if let Some((name, date)) = line.split_once(";VALUE=DATE:") {
            assert!(
                date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()),
                "{name}: {date:?} in\n{text}"
            );
        }
    }
    assert!(text.contains(&format!("UID:{never}-scheduled@feedback-tracker")));
    assert!(text.contains("DTSTART;VALUE=DATE:99991231"));
    assert!(text.contains(&format!("UID:{today}-scheduled@feedback-tracker")));
    assert!(
        !text.contains(&beyond),
        "no day after 9999-12-31 can be written:\n{text}"
    );
}

#[tokio::test]
async fn a_user_never_sees_another_users_search() {
    let api = TestApi::new().await;
    let (alice, bob) = (api.signed_in(), api.signed_in());
    seed(&alice).await;
    bob.create_application(
        json!({"company": "BobCorp", "role": "Dev", "follow_up_on": days_ago(1)}),
    )
    .await;

    let summary = bob.get("/analytics/summary").await.expect(200).body;
    assert_eq!(summary["total"], 1);
    let rejections = bob.get("/analytics/rejections").await.expect(200).body;
    assert_eq!(rejections["total"], 0);
    let skills = bob.get("/analytics/skills").await.expect(200).body;
    assert_eq!(skills["skills"], json!([]));
    let agenda = bob.get("/follow-ups").await.expect(200).body;
    let companies = field_of_each(&agenda["items"], "company");
    assert_eq!(companies, ["BobCorp"]);

    // Each feed shows its owner's follow-ups only; Bob cannot revoke Alice's.
    let alice_feed = feed_path(&alice.post("/calendar-feed").await.expect(201));
    bob.delete("/calendar-feed").await.expect_problem(404);
    let bob_feed = feed_path(&bob.post("/calendar-feed").await.expect(201));
    let alice_ics = String::from_utf8(api.get(&alice_feed).await.expect(200).raw).unwrap();
    let bob_ics = String::from_utf8(api.get(&bob_feed).await.expect(200).raw).unwrap();
    assert!(alice_ics.contains("Gamma") && !alice_ics.contains("BobCorp"));
    assert!(bob_ics.contains("BobCorp") && !bob_ics.contains("Gamma"));

    // Bob revoking his feed revokes his only: Alice's address still answers her calendar.
    bob.delete("/calendar-feed").await.expect(204);
    api.get(&bob_feed).await.expect_problem(404);
    let alice_ics = String::from_utf8(api.get(&alice_feed).await.expect(200).raw).unwrap();
    assert!(alice_ics.contains("Gamma") && !alice_ics.contains("BobCorp"));
}
