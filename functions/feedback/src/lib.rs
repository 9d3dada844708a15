//! The feedback Lambda: `/applications/{id}/feedback` and `/applications/{id}/feedback/{feedback_id}`.
//! The routes are shared with the other child collection (`api::children`).

use api::ApiState;
use axum::Router;
use domain::Feedback;

/// The paths this function serves (every method: wrong ones get 405).
pub const ROUTES: &[&str] = &[
    "/applications/{id}/feedback",
    "/applications/{id}/feedback/{feedback_id}",
];

pub fn router(state: ApiState) -> Router {
    api::children::router::<Feedback>(state)
}
