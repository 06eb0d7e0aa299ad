//! A model's tags: reading them and applying a change.

use std::collections::BTreeMap;

use aws_sdk_lookoutvision::types::Tag;

use super::state::{Key, ARN};
use super::TYPE_NAME;
use crate::aws::{ApiError, Client};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::Context;
use crate::resources::typed::ShapeError;
use crate::resources::{api_failure, Action};

pub(super) async fn remote_tags(
    ctx: &Context<'_, Client>,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let output = ctx
        .client
        .api()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("ListTagsForResource", err))?;
    Ok(output
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect())
}

pub(super) fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
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
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let changed: BTreeMap<String, String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
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
