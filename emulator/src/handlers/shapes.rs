//! The API's output structures, built from the state.
//!
//! Optional members that have no value are left out rather than sent as `null`, as AWS does.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::detector::Detection;
use crate::state::{
    Dataset, GreengrassConfiguration, Model, PackagingJob, Project, S3Location, S3Object,
};
use crate::synthetic::Performance;

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
        "OutputConfig": { "S3Location": s3_location(&model.output) },
        "EvaluationManifest": evaluation.map(|e| s3_object(&e.manifest)),
        "EvaluationResult": evaluation.map(|e| s3_object(&e.result)),
        "EvaluationEndTimestamp": evaluation.map(|e| e.ended),
        "KmsKeyId": model.kms_key_id,
        "MinInferenceUnits": units.map(|u| u.min),
        "MaxInferenceUnits": units.and_then(|u| u.max),
    }))
}

/// `ModelPackagingJobMetadata` of a job of `project`.
pub fn model_packaging_job_metadata(project: &str, job: &PackagingJob) -> Value {
    without_nulls(json!({
        "JobName": job.name,
        "ProjectName": project,
        "ModelVersion": job.model_version.to_string(),
        "ModelPackagingJobDescription": job.description,
        // Greengrass is the only packaging method the API has.
        "ModelPackagingMethod": "Greengrass",
        "Status": job.phase.status,
        "StatusMessage": job.phase.status_message,
        "CreationTimestamp": job.created,
        "LastUpdatedTimestamp": job.phase.since,
    }))
}

/// `ModelPackagingDescription`: the metadata plus the configuration as sent and, once the
/// job has succeeded, the component it made.
pub fn model_packaging_description(project: &str, job: &PackagingJob) -> Value {
    let mut description = model_packaging_job_metadata(project, job);
    description["ModelPackagingConfiguration"] =
        json!({ "Greengrass": greengrass_configuration(&job.configuration) });
    if let Some(output) = job.output() {
        description["ModelPackagingOutputDetails"] = json!({
            "Greengrass": {
                "ComponentVersionArn": output.component_version_arn,
                "ComponentName": output.component_name,
                "ComponentVersion": output.component_version,
            },
        });
    }
    description
}

/// `GreengrassConfiguration`.
fn greengrass_configuration(config: &GreengrassConfiguration) -> Value {
    without_nulls(json!({
        "CompilerOptions": config.compiler_options,
        "TargetDevice": config.target_device,
        "TargetPlatform": config.target_platform.as_ref().map(|platform| without_nulls(json!({
            "Os": platform.os,
            "Arch": platform.arch,
            "Accelerator": platform.accelerator,
        }))),
        "S3OutputLocation": s3_location(&config.s3_output_location),
        "ComponentName": config.component_name,
        "ComponentVersion": config.component_version,
        "ComponentDescription": config.component_description,
        "Tags": (!config.tags.is_empty()).then(|| tag_list(&config.tags)),
    }))
}

/// `value` with four decimals, the precision the service reports scores and areas with, as
/// the double nearest to that decimal: JSON shows `0.9318`, never `0.9318000000000001`.
pub fn four_decimals(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// `TagList`, in key order.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    tags.iter()
        .map(|(key, value)| json!({ "Key": key, "Value": value }))
        .collect()
}

/// `DetectAnomalyResult`: for a segmentation verdict the areas (`background` first, as
/// fractions of the image summing to 1, as the service reports them) and the mask.
pub fn detect_anomaly_result(detection: &Detection) -> Value {
    let (anomalies, mask) = match &detection.segmentation {
        Some(segmentation) => {
            let anomalies: Vec<Value> = segmentation
                .areas
                .iter()
                .map(|area| {
                    json!({
                        "Name": area.name,
                        "PixelAnomaly": {
                            "TotalPercentageArea": four_decimals(area.fraction),
                            "Color": area.color,
                        },
                    })
                })
                .collect();
            (
                Some(anomalies),
                Some(STANDARD.encode(&segmentation.mask_png)),
            )
        }
        None => (None, None),
    };
    without_nulls(json!({
        "Source": { "Type": "direct" },
        "IsAnomalous": detection.anomalous,
        "Confidence": four_decimals(detection.confidence),
        "Anomalies": anomalies,
        "AnomalyMask": mask,
    }))
}

fn performance(performance: &Performance) -> Value {
    json!({
        "F1Score": four_decimals(performance.f1_score),
        "Recall": four_decimals(performance.recall),
        "Precision": four_decimals(performance.precision),
    })
}

fn s3_location(location: &S3Location) -> Value {
    without_nulls(json!({ "Bucket": location.bucket, "Prefix": location.prefix }))
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

    #[test]
    fn four_decimals_print_as_four_decimals() {
        for (value, text) in [
            (0.931_800_000_000_000_1, "0.9318"),
            (0.841_399_999_999_999_9, "0.8414"),
            (1.0 - 0.031_25, "0.9688"),
            (0.5, "0.5"),
        ] {
            assert_eq!(serde_json::to_string(&four_decimals(value)).unwrap(), text);
        }
    }

    use super::*;
    use crate::detector::{Area, Segmentation};

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
            anomalous: false,
            confidence: 0.75,
            segmentation: None,
        };
        assert_eq!(
            detect_anomaly_result(&normal),
            json!({"Source": {"Type": "direct"}, "IsAnomalous": false, "Confidence": 0.75})
        );
        let area = |name: &str, color: &str, fraction| Area {
            name: name.to_owned(),
            color: color.to_owned(),
            fraction,
        };
        let anomalous = Detection {
            anomalous: true,
            confidence: 0.9,
            segmentation: Some(Segmentation {
                mask_png: vec![1, 2, 3],
                areas: vec![
                    area("background", "#FFFFFF", 0.75),
                    area("cracked", "#23A436", 0.25),
                ],
            }),
        };
        let result = detect_anomaly_result(&anomalous);
        assert_eq!(result["AnomalyMask"], "AQID");
        assert_eq!(result["Anomalies"][0]["Name"], "background");
        assert_eq!(
            result["Anomalies"][0]["PixelAnomaly"]["TotalPercentageArea"],
            0.75
        );
        assert_eq!(result["Anomalies"][1]["Name"], "cracked");
        assert_eq!(result["Anomalies"][1]["PixelAnomaly"]["Color"], "#23A436");
    }
}
