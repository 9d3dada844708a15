//! The operations the benchmarks send, one table for both that use it: each case's event,
//! function and seed data; for the capacity benchmark (cost.rs) its documented calls and
//! minimum; for the handler-overhead benchmark (handler.rs) the store call(s) its handler
//! makes — the baseline, called directly on a `store::Store` with its arguments built before
//! the clock starts.

use std::future::Future;
use std::pin::Pin;

use domain::{
    Application, ApplicationFilter, ApplicationPatch, ChildResource, Feedback, Id, Rejection,
    Timestamp, UserId,
};
use serde_json::Value;
use store::{Precondition, Store, StoreResult, WriteOutcome};

use crate::Function;
use crate::capacity::{rcu, wcu};
use crate::cost::Sizes;
use crate::events::{self, REJECTION_ID};
use crate::seed::Seed;

/// The store call(s) a route's handler makes, by name, and how to call them.
#[derive(Clone, Copy)]
pub struct Baseline {
    pub store_calls: &'static str,
    pub build: fn(&Args) -> Result<StoreCall, String>,
}

/// A store call with its arguments built, not started yet.
pub type StoreCall = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// What a route's store calls are built from.
pub struct Args {
    pub store: Store,
    pub user: UserId,
    /// The application the event names.
    pub app: Id,
    pub event: Value,
    pub body: Value,
}

impl Args {
    fn owned(&self) -> (Store, UserId, Id) {
        (self.store.clone(), self.user.clone(), self.app)
    }

    fn limit(&self) -> usize {
        events::query_limit(&self.event).unwrap_or(api::extract::DEFAULT_PAGE_SIZE)
    }
}

fn answered<T>(call: impl Future<Output = StoreResult<T>> + Send + 'static) -> StoreCall {
    Box::pin(async move { call.await.map(drop).map_err(|e| format!("store: {e:?}")) })
}

/// A create: it must have written (no idempotency record is given, so nothing replays).
fn written(call: impl Future<Output = StoreResult<WriteOutcome>> + Send + 'static) -> StoreCall {
    Box::pin(async move {
        match call.await {
            Ok(WriteOutcome::Written) => Ok(()),
            other => Err(format!("store: {other:?}")),
        }
    })
}

fn invalid(what: &str) -> impl Fn(domain::Invalid) -> String + '_ {
    move |invalid| format!("the event's body is not a valid {what}: {invalid:?}")
}

fn create_child<T: ChildResource + Send + Sync + 'static>(a: &Args) -> Result<StoreCall, String> {
    let child = T::parse_new(a.body.clone(), Id::generate(), a.app, Timestamp::now())
        .map_err(invalid(T::COLLECTION))?;
    let (store, user, app) = a.owned();
    Ok(written(async move {
        store
            .create_child(&user, app, &child, &store::Precondition::None, None)
            .await
    }))
}

fn list_children<T: ChildResource + Send + 'static>(a: &Args) -> Result<StoreCall, String> {
    let ((store, user, app), limit) = (a.owned(), a.limit());
    Ok(answered(async move {
        store.list_children::<T>(&user, app, limit, None).await
    }))
}

fn create_application(a: &Args) -> Result<StoreCall, String> {
    let application = Application::parse_new(a.body.clone(), Id::generate(), Timestamp::now())
        .map_err(invalid("application"))?;
    let (store, user, _) = a.owned();
    Ok(written(async move {
        store.create_application(&user, &application, None).await
    }))
}

fn get_application(a: &Args) -> Result<StoreCall, String> {
    let (store, user, app) = a.owned();
    Ok(answered(
        async move { store.get_application(&user, app).await },
    ))
}

fn list_applications(a: &Args) -> Result<StoreCall, String> {
    if events::has_filter(&a.event) {
        return Err("the baseline lists without filters; the event has one".into());
    }
    let ((store, user, _), limit) = (a.owned(), a.limit());
    let filter = ApplicationFilter::default();
    Ok(answered(async move {
        store.list_applications(&user, &filter, limit, None).await
    }))
}

fn update_application(a: &Args) -> Result<StoreCall, String> {
    let patch = ApplicationPatch::parse(a.body.clone()).map_err(invalid("patch"))?;
    let ((store, user, app), now) = (a.owned(), Timestamp::now());
    Ok(answered(async move {
        store
            .update_application(&user, app, &patch, &Precondition::None, now)
            .await
    }))
}

fn ping(a: &Args) -> Result<StoreCall, String> {
    let store = a.store.clone();
    Ok(answered(async move { store.ping().await }))
}

fn nothing(_: &Args) -> Result<StoreCall, String> {
    Ok(Box::pin(async { Ok(()) }))
}

/// One operation the benchmarks send.
pub struct Case {
    pub label: &'static str,
    /// The event (`events/<name>.json`); its name starts with the function's.
    pub event: &'static str,
    /// The create event's `Idempotency-Key` header is dropped, so the request simply creates.
    pub drop_idempotency_key: bool,
    pub seed: fn(Id) -> Seed,
    /// Send the event once before the recorded request.
    pub prime: bool,
    /// For the case the overhead benchmark times (the route's steady state): the store call(s)
    /// its handler makes, which the benchmark also calls directly.
    pub baseline: Option<Baseline>,
    /// The calls the documented access pattern makes, and the capacity it needs at the least.
    pub documented: &'static str,
    pub formula: &'static str,
    pub minimum: fn(&Sizes) -> f64,
}

fn case(
    label: &'static str,
    event: &'static str,
    documented: &'static str,
    formula: &'static str,
    minimum: fn(&Sizes) -> f64,
) -> Case {
    Case {
        label,
        event,
        drop_idempotency_key: false,
        seed: Seed::app,
        prime: false,
        baseline: None,
        documented,
        formula,
        minimum,
    }
}

impl Case {
    pub fn function(&self) -> Function {
        match self.event.split('-').next() {
            Some("applications") => Function::Applications,
            Some("feedback") => Function::Feedback,
            Some("rejections") => Function::Rejections,
            _ => Function::Health,
        }
    }

    fn seed(self, seed: fn(Id) -> Seed) -> Self {
        Self { seed, ..self }
    }

    fn primed(self) -> Self {
        Self {
            prime: true,
            ..self
        }
    }

    fn without_idempotency_key(self) -> Self {
        Self {
            drop_idempotency_key: true,
            ..self
        }
    }

    fn timed(
        self,
        store_calls: &'static str,
        build: fn(&Args) -> Result<StoreCall, String>,
    ) -> Self {
        Self {
            baseline: Some(Baseline { store_calls, build }),
            ..self
        }
    }
}

/// An application update: the item, and its GSI1 entry.
fn app_update(s: &Sizes) -> f64 {
    wcu(s.app_before.max(s.app_after)) + wcu(s.app_after)
}

pub fn all() -> Vec<Case> {
    let app_write = "W(app) + GSI1 W(app)";
    let update = "UpdateItem (conditional)";
    let transaction = "TransactWriteItems (ConditionCheck + Put)";
    let child_write = |s: &Sizes| 2.0 * wcu(s.app_before) + 2.0 * wcu(s.child_after);
    vec![
        case(
            "create application",
            "applications-create",
            "PutItem (conditional)",
            app_write,
            |s| wcu(s.app_after) * 2.0,
        )
        .seed(Seed::nothing)
        .without_idempotency_key()
        .timed("create_application", create_application),
        case(
            "create application, Idempotency-Key (first)",
            "applications-create",
            "TransactWriteItems (2 Puts)",
            "2·W(app) + 2·W(record) + GSI1 W(app)",
            |s| 2.0 * wcu(s.app_after) + 2.0 * wcu(s.record) + wcu(s.app_after),
        )
        .seed(Seed::nothing),
        case(
            "create application, same key again (replay)",
            "applications-create",
            "TransactWriteItems (cancelled) + GetItem",
            "R(record)",
            |s| rcu(s.record),
        )
        .seed(Seed::nothing)
        .primed(),
        case(
            "get application",
            "applications-get",
            "GetItem (consistent)",
            "R(app)",
            |s| rcu(s.app_before),
        )
        .timed("get_application", get_application),
        case(
            "list applications (31 stored)",
            "applications-list",
            "Query GSI1 (limit + 1)",
            "½·R(Σ entries read)",
            |s| rcu(s.list_read) / 2.0,
        )
        .seed(Seed::many_apps)
        .timed("list_applications", list_applications),
        case(
            "patch application (status changes)",
            "applications-patch",
            update,
            app_write,
            app_update,
        ),
        case(
            "patch application (same body again)",
            "applications-patch",
            update,
            app_write,
            app_update,
        )
        .primed()
        .timed("update_application", update_application),
        case(
            "replace application (PUT)",
            "applications-put",
            update,
            app_write,
            app_update,
        ),
        case(
            "delete application (1 feedback, 1 rejection)",
            "applications-delete",
            "UpdateItem + Query + BatchWriteItem + DeleteItem",
            "W(app) + GSI1 W(app) + R(Σ partition) + Σ W(child) + W(app)",
            |s| {
                3.0 * wcu(s.app_before)
                    + rcu(s.partition())
                    + s.children.iter().map(|c| wcu(*c)).sum::<f64>()
            },
        )
        .seed(|app| Seed {
            rejection: REJECTION_ID.parse().ok(),
            ..Seed::with_feedback(app)
        }),
        case(
            "create feedback",
            "feedback-create",
            transaction,
            "2·W(app) + 2·W(child)",
            child_write,
        )
        .seed(Seed::with_feedback)
        .timed("create_child::<Feedback>", create_child::<Feedback>),
        case(
            "list feedback (30 stored)",
            "feedback-list",
            "Query + GetItem",
            "R(Σ items read) + R(app)",
            |s| rcu(s.list_read) + rcu(s.app_before),
        )
        .seed(Seed::many_feedback)
        .timed("list_children::<Feedback>", list_children::<Feedback>),
        case(
            "get feedback",
            "feedback-get",
            "GetItem (+ parent GetItem)",
            "R(child) + R(app)",
            |s| rcu(s.child_before) + rcu(s.app_before),
        )
        .seed(Seed::with_feedback),
        case(
            "patch feedback",
            "feedback-patch",
            update,
            "W(child)",
            |s| wcu(s.child_before.max(s.child_after)),
        )
        .seed(Seed::with_feedback),
        case(
            "delete feedback",
            "feedback-delete",
            "DeleteItem (conditional)",
            "W(child)",
            |s| wcu(s.child_before),
        )
        .seed(Seed::with_feedback),
        case(
            "create rejection (status changes)",
            "rejections-create",
            "TransactWriteItems (Update + Put)",
            "2·W(app) + 2·W(child) + GSI1 W(app)",
            |s| {
                2.0 * wcu(s.app_before.max(s.app_after))
                    + 2.0 * wcu(s.child_after)
                    + wcu(s.app_after)
            },
        ),
        case(
            "create rejection (already rejected)",
            "rejections-create",
            transaction,
            "2·W(app) + 2·W(child)",
            child_write,
        )
        .seed(Seed::with_rejection)
        .timed("create_child::<Rejection>", create_child::<Rejection>),
        case(
            "database check",
            "health-db-check",
            "DescribeTable",
            "0 (control plane)",
            |_| 0.0,
        )
        .seed(Seed::nothing)
        .timed("ping", ping),
        case("health", "health-health", "none", "0", |_| 0.0)
            .seed(Seed::nothing)
            .timed("none", nothing),
    ]
}
