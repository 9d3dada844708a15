//! The rejections Lambda: `/applications/{id}/rejections` and `/applications/{id}/rejections/{rejection_id}`.
//! The routes are shared with the other child collection (`api::children`).

use api::ApiState;
use axum::Router;
use domain::Rejection;

/// The paths this function serves (every method: wrong ones get 405).
pub const ROUTES: &[&str] = &[
    "/applications/{id}/rejections",
    "/applications/{id}/rejections/{rejection_id}",
];

pub fn router(state: ApiState) -> Router {
    api::children::router::<Rejection>(state)
}
