//! Reading models: one model with its tags, and the models of a project page by page. The
//! resource, its list and the data sources all read models through these.

use std::collections::BTreeMap;

use aws_sdk_lookoutvision::types::{ModelDescription, ModelMetadata, ModelStatus};

use super::state::{Key, STATUS};
use crate::aws::pages::{page_size, Page, Pages};
use crate::aws::{ApiError, Client};
use crate::framework::schema::Attribute;
use crate::framework::validate;
use crate::framework::value::Type;

/// Every model status, as the service spells them.
pub(crate) const MODEL_STATUSES: &[&str] = &[
    "TRAINING",
    "TRAINED",
    "TRAINING_FAILED",
    "STARTING_HOSTING",
    "HOSTED",
    "HOSTING_FAILED",
    "STOPPING_HOSTING",
    "SYSTEM_UPDATING",
    "DELETING",
];

/// An optional `status` argument that selects models by status.
pub(crate) fn status_filter(description: &str) -> Attribute {
    Attribute::optional(STATUS, Type::String)
        .describe(description)
        .validate(validate::one_of(MODEL_STATUSES))
}

/// A model as the service describes it, with its tags.
#[derive(Clone, Debug)]
pub(crate) struct Described {
    pub(crate) description: ModelDescription,
    pub(crate) tags: BTreeMap<String, String>,
}

/// DescribeModel: model `key` as the service describes it.
pub(crate) async fn describe(client: &Client, key: &Key) -> Result<ModelDescription, ApiError> {
    let output = client
        .api()
        .describe_model()
        .project_name(&key.project)
        .model_version(&key.version)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("DescribeModel", err))?;
    output
        .model_description()
        .cloned()
        .ok_or_else(|| ApiError::incomplete("DescribeModel", "ModelDescription"))
}

/// DescribeModel, then ListTagsForResource on the model's ARN: the one read of a model that the
/// resource, its list and the data source share.
pub(crate) async fn describe_with_tags(client: &Client, key: &Key) -> Result<Described, ApiError> {
    let description = describe(client, key).await?;
    let arn = description
        .model_arn()
        .ok_or_else(|| ApiError::incomplete("DescribeModel", "ModelDescription.ModelArn"))?;
    let tags = remote_tags(client, arn).await?;
    Ok(Described { description, tags })
}

/// The tags of the model `arn`.
pub(crate) async fn remote_tags(
    client: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let output = client
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

/// One page of ListModels: at most `size` models of `project` after `token`.
pub(crate) async fn models_page(
    client: &Client,
    project: &str,
    token: Option<String>,
    size: i32,
) -> Result<Page<ModelMetadata>, ApiError> {
    let output = client
        .api()
        .list_models()
        .project_name(project)
        .set_next_token(token)
        .max_results(size)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("ListModels", err))?;
    Ok((
        output.models().to_vec(),
        output.next_token().map(str::to_owned),
    ))
}

/// The models of `project` (with `status`, if given), in the service's order; reading stops
/// once `cap` were found.
pub(crate) async fn list_models(
    client: &Client,
    project: &str,
    status: Option<&ModelStatus>,
    cap: usize,
) -> Result<Vec<ModelMetadata>, ApiError> {
    // Filtered, a page holds fewer matches than it asks for: ask for full pages then.
    let size = page_size(if status.is_some() { usize::MAX } else { cap });
    let mut pages = Pages::new();
    let mut found = Vec::new();
    while found.len() < cap {
        let Some(page) = pages
            .next(|token| models_page(client, project, token, size))
            .await
        else {
            break;
        };
        found.extend(
            page?
                .into_iter()
                .filter(|model| status.is_none() || model.status() == status),
        );
    }
    found.truncate(cap);
    Ok(found)
}

/// A model version as a number, for ordering; versions the service did not number sort first.
pub(crate) fn version_number(model: &ModelMetadata) -> u64 {
    model
        .model_version()
        .and_then(|version| version.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statuses_are_the_services() {
        let mut ours = MODEL_STATUSES.to_vec();
        ours.sort_unstable();
        assert_eq!(ours, ModelStatus::values());
    }

    #[test]
    fn versions_order_as_numbers() {
        let model = |version: &str| ModelMetadata::builder().model_version(version).build();
        let mut models = [model("10"), model("9"), model("x")];
        models.sort_by_key(version_number);
        let versions: Vec<_> = models.iter().filter_map(|m| m.model_version()).collect();
        assert_eq!(versions, ["x", "9", "10"]);
    }
}
