//! What a user's slice of the table holds before a benchmark runs, written through the store
//! from the create events' bodies.

use domain::{Application, ChildResource, Feedback, Id, Rejection, Timestamp, UserId};
use serde_json::Value;
use store::Store;

use crate::events::{FEEDBACK_ID, REJECTION_ID};

#[derive(Debug, Clone, Default)]
pub struct Seed {
    /// The application the events name.
    pub app: Option<Id>,
    pub feedback: Option<Id>,
    pub rejection: Option<Id>,
    /// More applications (for lists).
    pub extra_apps: usize,
    /// More feedback under `app` (for lists).
    pub extra_feedback: usize,
}

impl Seed {
    pub fn nothing(_: Id) -> Self {
        Self::default()
    }

    pub fn app(app: Id) -> Self {
        Self {
            app: Some(app),
            ..Self::default()
        }
    }

    /// The application and the feedback the events name.
    pub fn with_feedback(app: Id) -> Self {
        Self {
            feedback: FEEDBACK_ID.parse().ok(),
            ..Self::app(app)
        }
    }

    /// The application, rejected by the rejection the events name.
    pub fn with_rejection(app: Id) -> Self {
        Self {
            rejection: REJECTION_ID.parse().ok(),
            ..Self::app(app)
        }
    }

    /// 31 applications.
    pub fn many_apps(app: Id) -> Self {
        Self {
            extra_apps: 30,
            ..Self::app(app)
        }
    }

    /// The application and 30 feedback.
    pub fn many_feedback(app: Id) -> Self {
        Self {
            extra_feedback: 29,
            ..Self::with_feedback(app)
        }
    }
}

/// Request bodies the seed items are made from (the create events' bodies).
#[derive(Debug, Clone)]
pub struct SeedBodies {
    pub application: Value,
    pub feedback: Value,
    pub rejection: Value,
}

pub async fn write(
    store: &Store,
    bodies: &SeedBodies,
    sub: &str,
    seed: &Seed,
) -> Result<(), String> {
    let user = UserId::parse(sub).ok_or("bad seed user")?;
    let fail = |what: &str| format!("seeding {what} for {sub} failed");
    let new_app = |id: Id| -> Result<_, String> {
        Application::parse_new(bodies.application.clone(), id, Timestamp::now())
            .map_err(|_| fail("an application (body rejected)"))
    };
    for _ in 0..seed.extra_apps {
        store
            .create_application(&user, &new_app(Id::generate())?, None)
            .await
            .map_err(|_| fail("an application"))?;
    }
    let Some(app) = seed.app else {
        return Ok(());
    };
    store
        .create_application(&user, &new_app(app)?, None)
        .await
        .map_err(|_| fail("the application"))?;
    let mut feedback_ids: Vec<Id> = (0..seed.extra_feedback).map(|_| Id::generate()).collect();
    feedback_ids.extend(seed.feedback);
    for id in feedback_ids {
        write_child::<Feedback>(store, &user, app, &bodies.feedback, id)
            .await
            .map_err(|e| fail(&format!("feedback ({e})")))?;
    }
    if let Some(id) = seed.rejection {
        write_child::<Rejection>(store, &user, app, &bodies.rejection, id)
            .await
            .map_err(|e| fail(&format!("a rejection ({e})")))?;
    }
    Ok(())
}

/// One child made from `body`, with `id`, under `app`.
async fn write_child<T: ChildResource>(
    store: &Store,
    user: &UserId,
    app: Id,
    body: &Value,
    id: Id,
) -> Result<(), String> {
    let child = T::parse_new(body.clone(), id, app, Timestamp::now())
        .map_err(|e| format!("body rejected: {e:?}"))?;
    store
        .create_child(user, app, &child, &store::Precondition::None, None)
        .await
        .map(drop)
        .map_err(|e| format!("{e:?}"))
}
