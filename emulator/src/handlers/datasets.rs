//! CreateDataset, DescribeDataset, DeleteDataset, ListDatasetEntries and
//! UpdateDatasetEntries.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::shapes::{dataset_description, dataset_metadata};
use super::{heavy, run_idempotent};
use crate::error::{ApiError, Resource};
use crate::manifest::{self, Line};
use crate::pagination::{PageRequest, Scope};
use crate::request::ApiRequest;
use crate::response::Reply;
use crate::routes::Operation;
use crate::service::Service;
use crate::state::{Dataset, DatasetType, EntryFilter, Label, ManifestImport, S3Object};
use crate::validate::{
    Validator, ANOMALY_CLASS, DATASET_TYPE, PROJECT_NAME, S3_BUCKET, S3_KEY, S3_VERSION,
    SOURCE_REF_CONTAINS,
};

/// The largest `Changes`, in bytes once decoded (the model's `DatasetChanges`).
const MAX_CHANGES_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateDatasetInput {
    dataset_type: Option<String>,
    dataset_source: Option<DatasetSourceInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DatasetSourceInput {
    ground_truth_manifest: Option<ManifestInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestInput {
    s3_object: Option<S3ObjectInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct S3ObjectInput {
    bucket: Option<String>,
    key: Option<String>,
    version_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateDatasetEntriesInput {
    changes: Option<String>,
}

/// The project name and dataset type from the URI labels.
fn dataset_labels<'r>(v: &mut Validator, request: &'r ApiRequest) -> (&'r str, DatasetType) {
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let kind = dataset_type(v, "datasetType", Some(request.label(1)));
    (project, kind)
}

/// A required `DatasetType` member; meaningful only once `v` has finished cleanly.
fn dataset_type(v: &mut Validator, field: &str, value: Option<&str>) -> DatasetType {
    DatasetType::parse(v.required(field, value, &DATASET_TYPE)).unwrap_or(DatasetType::Train)
}

/// `POST /2020-11-20/projects/{projectName}/datasets`
pub fn create(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: CreateDatasetInput = request.json_body()?;
    let mut v = Validator::new();
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let kind = dataset_type(&mut v, "datasetType", input.dataset_type.as_deref());
    // A DatasetSource without a manifest object creates an empty dataset, like no source.
    let manifest = input
        .dataset_source
        .and_then(|source| source.ground_truth_manifest)
        .and_then(|manifest| manifest.s3_object)
        .map(|object| {
            const AT: &str = "datasetSource.groundTruthManifest.s3Object";
            let bucket = v.required(
                &format!("{AT}.bucket"),
                object.bucket.as_deref(),
                &S3_BUCKET,
            );
            let key = v.required(&format!("{AT}.key"), object.key.as_deref(), &S3_KEY);
            v.optional(
                &format!("{AT}.versionId"),
                object.version_id.as_deref(),
                &S3_VERSION,
            );
            S3Object {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            }
        });
    // Read before taking the state lock, so that file I/O does not hold up other calls. When
    // validation below refuses the call, what was read is dropped unused.
    let import = manifest.map(|object| match &service.config.s3_dir {
        None => ManifestImport::Synthetic(object),
        Some(dir) => match heavy(|| manifest::import(dir, &object)) {
            Ok(entries) => ManifestImport::Read(entries),
            Err(err) => ManifestImport::Failed(err.to_string()),
        },
    });
    let takes = service.config.durations.dataset;
    run_idempotent(
        service,
        request,
        v,
        Operation::CreateDataset,
        Resource::dataset(kind),
        |state, now| {
            let dataset = state.create_dataset(project, kind, import, now, takes)?;
            Ok(Reply::accepted(
                json!({ "DatasetMetadata": dataset_metadata(dataset) }),
            ))
        },
    )
}

/// `GET /2020-11-20/projects/{projectName}/datasets/{datasetType}`
pub fn describe(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, kind) = dataset_labels(&mut v, request);
    v.finish()?;
    service.read(|state| {
        let dataset = state.dataset(project, kind)?;
        Ok(Reply::ok(
            json!({ "DatasetDescription": dataset_description(project, dataset) }),
        ))
    })
}

/// `DELETE /2020-11-20/projects/{projectName}/datasets/{datasetType}`
pub fn delete(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, kind) = dataset_labels(&mut v, request);
    let takes = service.config.durations.dataset_delete;
    run_idempotent(
        service,
        request,
        v,
        Operation::DeleteDataset,
        Resource::dataset(kind),
        |state, now| {
            state.delete_dataset(project, kind, now, takes)?;
            Ok(Reply::accepted(Value::Null))
        },
    )
}

/// `GET /2020-11-20/projects/{projectName}/datasets/{datasetType}/entries?labeled=&anomalyClass=&sourceRefContains=&createdBefore=&createdAfter=&maxResults=&nextToken=`
pub fn list_entries(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, kind) = dataset_labels(&mut v, request);
    let page_request = PageRequest::from_query(request, &mut v);
    let filter = EntryFilter {
        labeled: v.optional_bool("labeled", request.query("labeled")),
        class: v
            .optional(
                "anomalyClass",
                request.query("anomalyClass"),
                &ANOMALY_CLASS,
            )
            .map(|class| match class {
                "anomaly" => Label::Anomaly,
                _ => Label::Normal,
            }),
        source_ref_contains: v.optional(
            "sourceRefContains",
            request.query("sourceRefContains"),
            &SOURCE_REF_CONTAINS,
        ),
        created_before: v.optional_timestamp("createdBefore", request.query("createdBefore")),
        created_after: v.optional_timestamp("createdAfter", request.query("createdAfter")),
    };
    v.finish()?;
    service.read(|state| {
        let dataset = state.dataset(project, kind)?;
        // Tokens are per dataset: one from the train dataset does not page the test dataset.
        let parent = format!("{project}/{kind}");
        let scope = Scope {
            operation: Operation::ListDatasetEntries,
            parent: &parent,
        };
        let entries = dataset
            .entries
            .iter()
            .filter(|(source_ref, entry)| filter.matches(source_ref, entry))
            .map(|(source_ref, entry)| (source_ref.clone(), Value::from(entry.line.as_str())));
        let page = service.paginator.page(scope, &page_request, entries)?;
        Ok(Reply::ok(page.into_output("DatasetEntries")))
    })
}

/// `PATCH /2020-11-20/projects/{projectName}/datasets/{datasetType}/entries`
pub fn update_entries(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: UpdateDatasetEntriesInput = request.json_body()?;
    let mut v = Validator::new();
    let (project, kind) = dataset_labels(&mut v, request);
    let lines = v
        .not_null("changes", input.changes.as_deref())
        .map(|changes| read_changes(&mut v, changes))
        .unwrap_or_default();
    // With `--s3-dir` the images are checked as CreateDataset's are, before taking the state
    // lock for the update; a failure is the update's asynchronous outcome, not an error of
    // the call. The dataset's bucket is read under a lock of its own: a dataset deleted and
    // created again in between would be checked against the old one's bucket, a race the
    // emulator accepts rather than reading files while holding the state.
    let changes = match &service.config.s3_dir {
        None => Ok(()),
        Some(dir) => {
            let bucket =
                service.read(|state| state.dataset(project, kind).ok().and_then(images_bucket));
            heavy(|| manifest::check_changes(dir, &lines, bucket)).map_err(|err| err.to_string())
        }
    }
    .map(|()| lines.into_iter().map(|(_, line)| line.entry).collect());
    let takes = service.config.durations.dataset;
    run_idempotent(
        service,
        request,
        v,
        Operation::UpdateDatasetEntries,
        Resource::dataset(kind),
        |state, now| {
            let status = state.update_dataset_entries(project, kind, changes, now, takes)?;
            Ok(Reply::accepted(json!({ "Status": status })))
        },
    )
}

/// The bucket of `dataset`'s images, which all share one; `None` while it has none.
fn images_bucket(dataset: &Dataset) -> Option<String> {
    let source_ref = dataset.entries.keys().next()?;
    manifest::split_uri(source_ref).map(|(bucket, _)| bucket.to_owned())
}

/// Decodes `Changes` (base64 of JSON Lines) into lines read by the one line reader, with
/// their 1-based numbers, recording in `v` every line that is not a valid entry. Blank lines
/// are skipped but counted.
fn read_changes(v: &mut Validator, changes: &str) -> Vec<(usize, Line)> {
    let Ok(bytes) = STANDARD.decode(changes) else {
        v.unmet("changes", "Member must be base64-encoded");
        return Vec::new();
    };
    v.length("changes", bytes.len(), 1, MAX_CHANGES_BYTES);
    let Ok(text) = String::from_utf8(bytes) else {
        v.unmet("changes", "Member must be UTF-8 JSON Lines");
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (number, line) in manifest::numbered_lines(&text) {
        match manifest::read_line(line) {
            Ok(line) => lines.push((number, line)),
            Err(reason) => v.fail(format!(
                "Line {number} of 'changes' is not a valid dataset entry: {reason}"
            )),
        }
    }
    if text.trim().is_empty() {
        v.unmet("changes", "Member must hold at least one JSON Line");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::NewEntry;

    fn read(text: &str) -> Result<Vec<(usize, NewEntry)>, ApiError> {
        let mut v = Validator::new();
        let lines = read_changes(&mut v, &STANDARD.encode(text));
        v.finish()
            .map(|()| lines.into_iter().map(|(n, line)| (n, line.entry)).collect())
    }

    #[test]
    fn changes_are_json_lines_with_blank_lines_skipped_but_counted() {
        let entries = read("{\"source-ref\":\"s3://b/1\"}\r\n\n{\"source-ref\":\"s3://b/2\",\"auto-label\":1,\"auto-label-metadata\":{\"class-name\":\"normal\"}}\n").unwrap();
        let refs: Vec<_> = entries
            .iter()
            .map(|(n, e)| (*n, e.source_ref.as_str(), e.label))
            .collect();
        assert_eq!(
            refs,
            [(1, "s3://b/1", None), (3, "s3://b/2", Some(Label::Normal))]
        );
    }

    #[test]
    fn invalid_lines_are_named_by_number() {
        let message = read("{\"source-ref\":\"s3://b/1\"}\nnot json\n\n{\"anomaly-label\":1}")
            .unwrap_err()
            .message()
            .to_owned();
        assert!(
            message.starts_with("2 validation errors detected: "),
            "{message}"
        );
        assert!(
            message.contains(
                "Line 2 of 'changes' is not a valid dataset entry: it is not a JSON object"
            ),
            "{message}"
        );
        assert!(
            message.contains(
                "Line 4 of 'changes' is not a valid dataset entry: it has no \"source-ref\""
            ),
            "{message}"
        );
    }

    #[test]
    fn changes_must_be_base64_of_some_lines() {
        let mut v = Validator::new();
        read_changes(&mut v, "not base64!");
        assert!(v.finish().unwrap_err().message().contains("base64"));
        for empty in ["", "\n \n"] {
            let err = read(empty).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{empty:?}");
        }
    }
}
