//! Builds DynamoDB expressions with placeholders, so no attribute name or value is ever
//! spliced into expression text.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::keys::{DELETING, LAST_WRITES, PK};
use crate::{Precondition, StoreResult, string};
use domain::values::NamedEnum;
use domain::{Status, Timestamp};

#[derive(Debug, Default, Clone)]
pub struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    sets: Vec<String>,
    removes: Vec<String>,
    conditions: Vec<String>,
    key_conditions: Vec<String>,
    projection: Vec<String>,
}

impl Expr {
    /// The placeholder for an attribute name.
    pub fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!(
            "#{}",
            attribute.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    /// The placeholder for a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    pub fn set(&mut self, attribute: &str, value: AttributeValue) {
        let (name, value) = (self.name(attribute), self.value(value));
        self.sets.push(format!("{name} = {value}"));
    }

    /// A `SET` clause written by the caller with placeholders it got from this builder.
    pub fn set_raw(&mut self, clause: String) {
        self.sets.push(clause);
    }

    pub fn remove(&mut self, attribute: &str) {
        let name = self.name(attribute);
        self.removes.push(name);
    }

    /// A `REMOVE` clause written by the caller with placeholders it got from this builder.
    pub fn remove_raw(&mut self, clause: String) {
        self.removes.push(clause);
    }

    /// A query's key condition: `attribute` (a key of the table or of the index) is `value`.
    pub fn key_equals(&mut self, attribute: &str, value: &str) {
        let (name, value) = (self.name(attribute), self.value(string(value)));
        self.key_conditions.push(format!("{name} = {value}"));
    }

    /// A query's sort-key condition: `attribute` starts with `prefix`.
    pub fn key_begins_with(&mut self, attribute: &str, prefix: &str) {
        let (name, prefix) = (self.name(attribute), self.value(string(prefix)));
        self.key_conditions
            .push(format!("begins_with({name}, {prefix})"));
    }

    /// Reads only these attributes.
    pub fn project(&mut self, attributes: &[&str]) {
        for attribute in attributes {
            let name = self.name(attribute);
            self.projection.push(name);
        }
    }

    pub fn condition(&mut self, condition: String) {
        self.conditions.push(format!("({condition})"));
    }

    /// The item exists and is not being deleted.
    pub fn require_live_item(&mut self) {
        let (pk, deleting) = (self.name(PK), self.name(DELETING));
        self.condition(format!(
            "attribute_exists({pk}) AND attribute_not_exists({deleting})"
        ));
    }

    /// What `If-Match` asks of the item's `version`, as a condition (none without `If-Match`
    /// or with `If-Match: *`, which existence conditions already cover).
    pub fn version_condition(&mut self, precondition: &Precondition) -> Option<String> {
        let Precondition::Versions(versions) = precondition else {
            return None;
        };
        // Version 0 never exists: an If-Match with no readable tag can never match.
        let versions = if versions.is_empty() {
            &[0][..]
        } else {
            versions
        };
        let name = self.name("version");
        let values: Vec<String> = versions
            .iter()
            .map(|v| self.value(AttributeValue::N(v.to_string())))
            .collect();
        Some(format!("{name} IN ({})", values.join(", ")))
    }

    pub fn require_precondition(&mut self, precondition: &Precondition) {
        if let Some(condition) = self.version_condition(precondition) {
            self.condition(condition);
        }
    }

    /// `SET` or `REMOVE` each attribute a partial update names.
    pub fn apply_changes(&mut self, changes: &[domain::FieldChange]) -> StoreResult<()> {
        for change in changes {
            match &change.value {
                Some(value) => self.set(change.name, super::to_attribute(value)?),
                None => self.remove(change.name),
            }
        }
        Ok(())
    }

    /// Every write of a resource: `updated_at` is now and `version` goes up by one.
    /// Returns the update's token: when the condition fails on an item that carries it, the
    /// SDK sent this update again after its answer was lost, and the first attempt wrote it
    /// ([`written_by`]).
    pub fn record_change(&mut self, now: Timestamp) -> String {
        self.set("updated_at", string(now.to_string()));
        let version = self.name("version");
        let one = self.value(AttributeValue::N("1".to_owned()));
        self.set_raw(format!("{version} = {version} + {one}"));
        let token = domain::Id::generate().to_string();
        let value = self.value(string(&token));
        let none = self.value(string(""));
        let slots = LAST_WRITES.map(|slot| self.name(slot));
        // Each token moves one slot down (the operands are the item as it was); the oldest goes.
        self.set_raw(format!("{} = {value}", slots[0]));
        for pair in slots.windows(2) {
            let (newer, older) = (&pair[0], &pair[1]);
            self.set_raw(format!("{older} = if_not_exists({newer}, {none})"));
        }
        for slot in &slots {
            self.condition(format!("attribute_not_exists({slot}) OR {slot} <> {value}"));
        }
        token
    }

    /// Sets an application's `status` and appends the change to `status_history`.
    /// Returns the placeholder of the new status, for conditions on it.
    pub fn change_status(&mut self, status: Status, now: Timestamp) -> StoreResult<String> {
        let status_name = self.name("status");
        let status_value = self.value(string(status.as_str()));
        self.set_raw(format!("{status_name} = {status_value}"));
        let history = self.name("status_history");
        let entry = domain::application::StatusChange { status, at: now };
        let entry = self.value(super::to_attribute(&vec![entry])?);
        let empty = self.value(AttributeValue::L(Vec::new()));
        self.set_raw(format!(
            "{history} = list_append(if_not_exists({history}, {empty}), {entry})"
        ));
        Ok(status_value)
    }

    pub fn update_expression(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.sets.is_empty() {
            parts.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.removes.is_empty() {
            parts.push(format!("REMOVE {}", self.removes.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    pub fn condition_expression(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "))
    }

    pub fn key_condition_expression(&self) -> Option<String> {
        (!self.key_conditions.is_empty()).then(|| self.key_conditions.join(" AND "))
    }

    pub fn projection_expression(&self) -> Option<String> {
        (!self.projection.is_empty()).then(|| self.projection.join(", "))
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Whether `old`, an item as a failed condition returned it, carries the update token `token`
/// ([`Expr::record_change`]): then that update is written, and `old` is the item it left.
pub(crate) fn written_by(old: &crate::Item, token: &str) -> bool {
    LAST_WRITES
        .iter()
        .any(|slot| matches!(old.get(*slot), Some(AttributeValue::S(written)) if written == token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_update_and_condition_with_placeholders_only() {
        let mut expr = Expr::default();
        expr.set("company", AttributeValue::S("Acme".into()));
        expr.remove("notes");
        expr.require_live_item();
        expr.require_precondition(&Precondition::Versions(vec![]));
        assert_eq!(
            expr.update_expression().unwrap(),
            "SET #company = :v0 REMOVE #notes"
        );
        assert_eq!(
            expr.condition_expression().unwrap(),
            "(attribute_exists(#PK) AND attribute_not_exists(#deleting)) AND (#version IN (:v1))"
        );
        assert_eq!(expr.values().unwrap()[":v1"], AttributeValue::N("0".into()));
    }

    #[test]
    fn builds_key_condition_and_projection() {
        let mut expr = Expr::default();
        expr.key_equals(PK, "USER#u#APP#a");
        expr.key_begins_with("SK", "FEEDBACK#");
        expr.project(&[PK, "SK"]);
        assert_eq!(
            expr.key_condition_expression().unwrap(),
            "#PK = :v0 AND begins_with(#SK, :v1)"
        );
        assert_eq!(expr.projection_expression().unwrap(), "#PK, #SK");
        assert_eq!(expr.names().unwrap().len(), 2);
    }
}
