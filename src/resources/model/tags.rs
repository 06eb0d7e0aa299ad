//! A model's tags: reading them and applying a change.

use std::collections::BTreeMap;

use aws_sdk_lookoutvision::types::Tag;

use super::state::{Key, ARN, TAGS, TAGS_ALL};
use super::TYPE_NAME;
use crate::aws::{ApiError, Client};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::Context;
use crate::framework::value::Value;
use crate::resources::typed::{ShapeError, StringMap, Typed};
use crate::resources::{api_failure, Action};

pub(super) fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// What turns tags `old` into `new`: the keys to remove, and the tags to add or change.
fn tag_changes(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let changed = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (removed, changed)
}

/// The part of the model's `remote` tags that its `tags` attribute holds: everything except
/// provider `defaults` that the configuration does not set itself (`configured`).
pub(super) fn own_tags(
    remote: &BTreeMap<String, String>,
    configured: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    remote
        .iter()
        .filter(|(k, v)| configured.contains_key(*k) || defaults.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Plans `tags_all`: the provider's `defaults` with the planned `tags` over them, unknown
/// until every tag is known.
pub(super) fn plan_tags_all(defaults: &BTreeMap<String, String>, planned: &mut Value) {
    let tags = planned.get(TAGS);
    if tags.is_unknown() || !tags.is_wholly_known() {
        planned.set(TAGS_ALL, Value::Unknown);
        return;
    }
    let mut all = defaults.clone();
    all.extend(tags.string_map());
    planned.set(TAGS_ALL, StringMap::from(all).write());
}

/// Applies the tag difference between `old` and `new` to the model `arn`, which the state
/// holds from the moment the model exists.
pub(super) async fn update_tags(
    ctx: &Context<'_, Client>,
    key: &Key,
    arn: Option<&str>,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    let (removed, changed) = tag_changes(old, new);
    if removed.is_empty() && changed.is_empty() {
        return Ok(());
    }
    let arn = arn.ok_or_else(|| ShapeError::missing(ARN).diagnostic(TYPE_NAME))?;
    if !removed.is_empty() {
        ctx.client
            .api()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|err| {
                api_failure(
                    Action::Update,
                    key.subject(),
                    &ApiError::from_sdk("UntagResource", err),
                    None,
                )
            })?;
    }
    if !changed.is_empty() {
        ctx.client
            .api()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(&changed)))
            .send()
            .await
            .map_err(|err| {
                api_failure(
                    Action::Update,
                    key.subject(),
                    &ApiError::from_sdk("TagResource", err),
                    None,
                )
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn changes_remove_missing_keys_and_set_new_or_changed_values() {
        let old = tags(&[("keep", "1"), ("change", "old"), ("drop", "x")]);
        let new = tags(&[("keep", "1"), ("change", "new"), ("add", "y")]);
        let (removed, changed) = tag_changes(&old, &new);
        assert_eq!(removed, ["drop"]);
        assert_eq!(changed, tags(&[("add", "y"), ("change", "new")]));
        let (removed, changed) = tag_changes(&old, &old);
        assert!(removed.is_empty() && changed.is_empty());
    }

    #[test]
    fn own_tags_leave_out_untouched_provider_defaults() {
        let defaults = tags(&[("owner", "platform"), ("team", "core")]);
        let remote = tags(&[("owner", "platform"), ("team", "core"), ("cost", "42")]);
        // A default the configuration sets itself, even to the same value, is its own.
        let configured = tags(&[("team", "core")]);
        assert_eq!(
            own_tags(&remote, &configured, &defaults),
            tags(&[("cost", "42"), ("team", "core")])
        );
        // A default changed outside Terraform shows as the resource's own, to be planned away.
        let remote = tags(&[("owner", "someone")]);
        assert_eq!(
            own_tags(&remote, &BTreeMap::new(), &defaults),
            tags(&[("owner", "someone")])
        );
    }

    #[test]
    fn plan_merges_default_tags_under_resource_tags() {
        let defaults: BTreeMap<String, String> = [
            ("owner".to_owned(), "platform".to_owned()),
            ("team".to_owned(), "core".to_owned()),
        ]
        .into();
        let mut planned = Value::object([(
            TAGS,
            Value::Map([("team".to_owned(), Value::string("vision"))].into()),
        )]);
        plan_tags_all(&defaults, &mut planned);
        assert_eq!(
            planned.get(TAGS_ALL),
            &Value::Map(
                [
                    ("owner".to_owned(), Value::string("platform")),
                    ("team".to_owned(), Value::string("vision")),
                ]
                .into()
            )
        );
        planned.set(TAGS, Value::Unknown);
        plan_tags_all(&defaults, &mut planned);
        assert_eq!(planned.get(TAGS_ALL), &Value::Unknown);

        // One unknown element makes the merge unknown.
        planned.set(
            TAGS,
            Value::Map([("team".to_owned(), Value::Unknown)].into()),
        );
        plan_tags_all(&defaults, &mut planned);
        assert_eq!(planned.get(TAGS_ALL), &Value::Unknown);
    }
}
