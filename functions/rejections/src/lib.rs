//! The rejections Lambda: `/applications/{id}/rejections` and `/applications/{id}/rejections/{rejection_id}`.
//! The routes are shared with the other child collection (`shared::children`).

use axum::Router;
use shared::domain::Rejection;
use shared::http::ApiState;

/// The paths this function serves (every method: wrong ones get 405).
pub const ROUTES: &[&str] = &[
    "/applications/{id}/rejections",
    "/applications/{id}/rejections/{rejection_id}",
];

pub fn router(state: ApiState) -> Router {
    shared::children::router::<Rejection>(state)
}
