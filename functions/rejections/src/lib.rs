//! The rejections Lambda: `/applications/{id}/rejections` and
//! `/applications/{id}/rejections/{rejection_id}`. Recording a rejection also moves the
//! application to `rejected` (in the store, in one transaction). The handlers are shared with
//! the other child collection (`api::children`).

use domain::rejection::{Rejection, RejectionCreate, RejectionUpdate};

api::child_function!(
    name: "rejections",
    child: Rejection,
    create: RejectionCreate,
    update: RejectionUpdate,
    item: ("rejection_id", "rejection"),
);
