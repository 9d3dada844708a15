//! The feedback Lambda: `/applications/{id}/feedback` and `/applications/{id}/feedback/{feedback_id}`.
//! The routes are shared with the other child collection (`shared::children`).

use axum::Router;
use shared::domain::Feedback;
use shared::http::ApiState;

/// The paths this function serves (every method: wrong ones get 405).
pub const ROUTES: &[&str] = &[
    "/applications/{id}/feedback",
    "/applications/{id}/feedback/{feedback_id}",
];

pub fn router(state: ApiState) -> Router {
    shared::children::router::<Feedback>(state)
}
