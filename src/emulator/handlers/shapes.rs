//! The API's output structures, built from the state.
//!
//! Optional members that have no value are left out rather than sent as `null`, as AWS does.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::emulator::state::{Dataset, Model, Project, S3Object};
use crate::emulator::synthetic::{Detection, Performance, ANOMALY_COLOR, BACKGROUND_COLOR};

/// `ProjectMetadata`.
pub fn project_metadata(project: &Project) -> Value {
    json!({
        "ProjectArn": project.arn,
        "ProjectName": project.name,
        "CreationTimestamp": project.created,
    })
}

/// `ProjectDescription`.
pub fn project_description(project: &Project) -> Value {
    json!({
        "ProjectArn": project.arn,
        "ProjectName": project.name,
        "CreationTimestamp": project.created,
        "Datasets": project.datasets.values().map(dataset_metadata).collect::<Vec<_>>(),
    })
}

/// `DatasetMetadata`.
pub fn dataset_metadata(dataset: &Dataset) -> Value {
    json!({
        "DatasetType": dataset.dataset_type,
        "CreationTimestamp": dataset.created,
        "Status": dataset.phase.status,
        "StatusMessage": dataset.phase.status_message,
    })
}

/// `DatasetDescription`.
pub fn dataset_description(project: &str, dataset: &Dataset) -> Value {
    let stats = dataset.image_stats();
    json!({
        "ProjectName": project,
        "DatasetType": dataset.dataset_type,
        "CreationTimestamp": dataset.created,
        "LastUpdatedTimestamp": dataset.phase.since,
        "Status": dataset.phase.status,
        "StatusMessage": dataset.phase.status_message,
        "ImageStats": {
            "Total": stats.total,
            "Labeled": stats.labeled,
            "Normal": stats.normal,
            "Anomaly": stats.anomaly,
        },
    })
}

/// `ModelMetadata`.
pub fn model_metadata(model: &Model) -> Value {
    without_nulls(json!({
        "CreationTimestamp": model.created,
        "ModelVersion": model.version.to_string(),
        "ModelArn": model.arn,
        "Description": model.description,
        "Status": model.phase.status,
        "StatusMessage": model.phase.status_message,
        "Performance": model.evaluation().map(|e| performance(&e.performance)),
    }))
}

/// `ModelDescription`.
pub fn model_description(model: &Model) -> Value {
    let evaluation = model.evaluation();
    let units = model.inference_units;
    without_nulls(json!({
        "ModelVersion": model.version.to_string(),
        "ModelArn": model.arn,
        "CreationTimestamp": model.created,
        "Description": model.description,
        "Status": model.phase.status,
        "StatusMessage": model.phase.status_message,
        "Performance": evaluation.map(|e| performance(&e.performance)),
        "OutputConfig": {
            "S3Location": without_nulls(json!({
                "Bucket": model.output.bucket,
                "Prefix": model.output.prefix,
            })),
        },
        "EvaluationManifest": evaluation.map(|e| s3_object(&e.manifest)),
        "EvaluationResult": evaluation.map(|e| s3_object(&e.result)),
        "EvaluationEndTimestamp": evaluation.map(|e| e.ended),
        "KmsKeyId": model.kms_key_id,
        "MinInferenceUnits": units.map(|u| u.min),
        "MaxInferenceUnits": units.and_then(|u| u.max),
    }))
}

/// `TagList`, in key order.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    tags.iter()
        .map(|(key, value)| json!({ "Key": key, "Value": value }))
        .collect()
}

/// `DetectAnomalyResult`: for an anomalous image the `background` and `anomaly` areas
/// (fractions of the image, summing to 1, as the service reports them) and the mask.
pub fn detect_anomaly_result(detection: &Detection) -> Value {
    let (anomalies, mask) = match &detection.anomaly {
        Some((area, mask)) => {
            let pixel = |name: &str, area: f64, color: &str| {
                json!({
                    "Name": name,
                    "PixelAnomaly": { "TotalPercentageArea": area, "Color": color },
                })
            };
            let anomalies = json!([
                pixel("background", 1.0 - area, BACKGROUND_COLOR),
                pixel("anomaly", *area, ANOMALY_COLOR),
            ]);
            (Some(anomalies), Some(STANDARD.encode(mask)))
        }
        None => (None, None),
    };
    without_nulls(json!({
        "Source": { "Type": "direct" },
        "IsAnomalous": detection.is_anomalous,
        "Confidence": detection.confidence,
        "Anomalies": anomalies,
        "AnomalyMask": mask,
    }))
}

fn performance(performance: &Performance) -> Value {
    json!({
        "F1Score": performance.f1_score,
        "Recall": performance.recall,
        "Precision": performance.precision,
    })
}

fn s3_object(object: &S3Object) -> Value {
    json!({ "Bucket": object.bucket, "Key": object.key })
}

/// `value` without its `null` members (only the top level: nested objects are built, and
/// stripped, separately).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .filter(|(_, member)| !member.is_null())
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_members_are_left_out() {
        assert_eq!(
            without_nulls(json!({"A": 1, "B": null, "C": {"D": null}})),
            json!({"A": 1, "C": {"D": null}})
        );
    }

    #[test]
    fn detections_carry_anomalies_and_a_mask_only_when_anomalous() {
        let normal = Detection {
            is_anomalous: false,
            confidence: 0.75,
            anomaly: None,
        };
        assert_eq!(
            detect_anomaly_result(&normal),
            json!({"Source": {"Type": "direct"}, "IsAnomalous": false, "Confidence": 0.75})
        );
        let anomalous = Detection {
            is_anomalous: true,
            confidence: 0.9,
            anomaly: Some((0.25, vec![1, 2, 3])),
        };
        let result = detect_anomaly_result(&anomalous);
        assert_eq!(result["AnomalyMask"], "AQID");
        assert_eq!(result["Anomalies"][0]["Name"], "background");
        assert_eq!(
            result["Anomalies"][0]["PixelAnomaly"]["TotalPercentageArea"],
            0.75
        );
        assert_eq!(
            result["Anomalies"][1]["PixelAnomaly"]["Color"],
            ANOMALY_COLOR
        );
    }
}
