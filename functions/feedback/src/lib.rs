//! The feedback Lambda: `/applications/{id}/feedback` and `/applications/{id}/feedback/{feedback_id}`.
//! The handlers are shared with the other child collection (`api::children`).

use domain::feedback::{Feedback, FeedbackCreate, FeedbackUpdate};

api::child_function!(
    name: "feedback",
    child: Feedback,
    create: FeedbackCreate,
    update: FeedbackUpdate,
    item: ("feedback_id", "feedback"),
);
