//! CreateModel, DescribeModel, ListModels, DeleteModel, StartModel, StopModel and
//! DetectAnomalies.

use serde::Deserialize;
use serde_json::json;

use super::shapes::{detect_anomaly_result, model_description, model_metadata};
use super::tags::{read_tags, TagInput};
use super::{heavy, list_in_project, run_idempotent};
use crate::error::{ApiError, Resource};
use crate::image;
use crate::request::ApiRequest;
use crate::response::Reply;
use crate::routes::Operation;
use crate::service::Service;
use crate::state::{InferenceUnits, NewModel, S3Location, Training};
use crate::synthetic;
use crate::training::{self, Plan};
use crate::validate::{
    StringConstraint, Validator, IMAGE_CONTENT_TYPE, KMS_KEY_ID, MODEL_DESCRIPTION, MODEL_VERSION,
    MODEL_VERSION_NO_LATEST, PROJECT_NAME, S3_BUCKET, S3_PREFIX,
};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateModelInput {
    description: Option<String>,
    output_config: Option<OutputConfigInput>,
    kms_key_id: Option<String>,
    tags: Option<Vec<TagInput>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OutputConfigInput {
    s3_location: Option<S3LocationInput>,
}

/// An `S3Location` as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3LocationInput {
    bucket: Option<String>,
    prefix: Option<String>,
}

/// Checks a required `S3Location` member called `field` and returns it; the default
/// (never used, as `v` then fails) when it is absent.
pub fn read_s3_location(
    v: &mut Validator,
    field: &str,
    location: Option<S3LocationInput>,
) -> S3Location {
    v.not_null(field, location)
        .map(|location| S3Location {
            bucket: v
                .required(
                    &format!("{field}.bucket"),
                    location.bucket.as_deref(),
                    &S3_BUCKET,
                )
                .to_owned(),
            prefix: v
                .optional(
                    &format!("{field}.prefix"),
                    location.prefix.as_deref(),
                    &S3_PREFIX,
                )
                .map(str::to_owned),
        })
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartModelInput {
    min_inference_units: Option<i64>,
    max_inference_units: Option<i64>,
}

/// The project name and model version from the URI labels; `versions` says whether
/// `latest` is allowed.
fn model_labels<'r>(
    v: &mut Validator,
    request: &'r ApiRequest,
    versions: &StringConstraint,
) -> (&'r str, &'r str) {
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let version = v.string("modelVersion", request.label(1), versions);
    (project, version)
}

/// `POST /2020-11-20/projects/{projectName}/models`
pub fn create(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: CreateModelInput = request.json_body()?;
    let mut v = Validator::new();
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let description = v.optional(
        "description",
        input.description.as_deref(),
        &MODEL_DESCRIPTION,
    );
    let output = match v.not_null("outputConfig", input.output_config) {
        Some(config) => read_s3_location(&mut v, "outputConfig.s3Location", config.s3_location),
        // `v` has recorded the missing member, so this placeholder is never used.
        None => S3Location::default(),
    };
    let kms_key_id = v.optional("kmsKeyId", input.kms_key_id.as_deref(), &KMS_KEY_ID);
    let tags = read_tags(&mut v, "tags", input.tags.as_deref().unwrap_or_default());
    let config = &service.config;
    // With an S3 directory the model learns from the datasets' images, here, before the
    // state lock is taken; a call that is then refused wastes the work but changes nothing.
    let attempt = match &config.s3_dir {
        Some(dir) if v.is_clean() => service
            .read(|state| state.project(project).ok().and_then(Plan::of))
            .map(|plan| heavy(|| plan.train(dir, &output))),
        _ => None,
    };
    let (learned, training, takes) = match attempt {
        None => (None, Training::Synthetic, config.durations.training),
        Some(attempt) => {
            let takes = config.durations.training.max(attempt.took);
            match attempt.outcome {
                Ok(learned) => {
                    let training = Training::Learned {
                        detector: learned.detector.clone().into(),
                        performance: learned.performance,
                    };
                    (Some(learned), training, takes)
                }
                Err(message) => (None, Training::Failed(message), takes),
            }
        }
    };
    let new = NewModel {
        description: description.map(str::to_owned),
        output,
        kms_key_id: kms_key_id.map(str::to_owned),
        tags,
        training,
    };
    let mut created = None;
    let reply = run_idempotent(
        service,
        request,
        v,
        Operation::CreateModel,
        Resource::project(project),
        |state, now| {
            config.quotas.check_create_model(state, project)?;
            let arn = |version| config.model_arn(project, version);
            let model = state.create_model(project, new, arn, now, takes)?;
            created = Some(model.clone());
            Ok(Reply::accepted(
                json!({ "ModelMetadata": model_metadata(model) }),
            ))
        },
    )?;
    // The evaluation files go where the service writes them, once the model exists (a
    // replayed call created nothing and writes nothing).
    if let (Some(dir), Some(model), Some(learned)) = (&config.s3_dir, created, learned) {
        if let Err(err) = training::write_evaluation(dir, project, &model, &learned) {
            tracing::warn!(project, version = model.version, %err, "evaluation files not written");
        }
    }
    Ok(reply)
}

/// `GET /2020-11-20/projects/{projectName}/models/{modelVersion}`
pub fn describe(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, version) = model_labels(&mut v, request, &MODEL_VERSION);
    v.finish()?;
    service.read(|state| {
        let model = state.model(project, version)?;
        Ok(Reply::ok(
            json!({ "ModelDescription": model_description(model) }),
        ))
    })
}

/// `GET /2020-11-20/projects/{projectName}/models?maxResults=&nextToken=`
pub fn list(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    list_in_project(
        service,
        request,
        Operation::ListModels,
        "Models",
        |project| &project.models,
        |_, model| model_metadata(model),
    )
}

/// `DELETE /2020-11-20/projects/{projectName}/models/{modelVersion}`
pub fn delete(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, version) = model_labels(&mut v, request, &MODEL_VERSION_NO_LATEST);
    let takes = service.config.durations.delete;
    run_idempotent(
        service,
        request,
        v,
        Operation::DeleteModel,
        Resource::model(version),
        |state, now| {
            let model = state.delete_model(project, version, now, takes)?;
            Ok(Reply::accepted(json!({ "ModelArn": model.arn })))
        },
    )
}

/// `POST /2020-11-20/projects/{projectName}/models/{modelVersion}/start`
pub fn start(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: StartModelInput = request.json_body()?;
    let mut v = Validator::new();
    let (project, version) = model_labels(&mut v, request, &MODEL_VERSION);
    let limit = i64::from(i32::MAX);
    let min = v
        .not_null("minInferenceUnits", input.min_inference_units)
        .map(|min| v.integer("minInferenceUnits", min, 1, limit));
    let max = input
        .max_inference_units
        .map(|max| v.integer("maxInferenceUnits", max, 1, limit));
    if let (Some(min), Some(max)) = (min, max) {
        if max < min {
            v.fail(format!(
                "Value '{max}' at 'maxInferenceUnits' failed to satisfy constraint: \
                 Member must be greater than or equal to minInferenceUnits ({min})"
            ));
        }
    }
    // Used only once validation has passed, when both are within 1..=i32::MAX.
    let units = InferenceUnits {
        min: min.and_then(|min| u32::try_from(min).ok()).unwrap_or(1),
        max: max.and_then(|max| u32::try_from(max).ok()),
    };
    let takes = service.config.durations.hosting;
    run_idempotent(
        service,
        request,
        v,
        Operation::StartModel,
        Resource::model(version),
        |state, now| {
            let quotas = &service.config.quotas;
            let admit = |state: &_| quotas.check_start_model(state, version, units.min, units.max);
            let status = state.start_model(project, version, units, now, takes, admit)?;
            Ok(Reply::accepted(json!({ "Status": status })))
        },
    )
}

/// `POST /2020-11-20/projects/{projectName}/models/{modelVersion}/stop`
pub fn stop(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, version) = model_labels(&mut v, request, &MODEL_VERSION);
    let takes = service.config.durations.hosting;
    run_idempotent(
        service,
        request,
        v,
        Operation::StopModel,
        Resource::model(version),
        |state, now| {
            let status = state.stop_model(project, version, now, takes)?;
            Ok(Reply::accepted(json!({ "Status": status })))
        },
    )
}

/// `POST /2020-11-20/projects/{projectName}/models/{modelVersion}/detect`, with the image
/// as the raw body.
pub fn detect(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let (project, version) = model_labels(&mut v, request, &MODEL_VERSION);
    let content_type = request.header("content-type");
    v.required("contentType", content_type.as_deref(), &IMAGE_CONTENT_TYPE);
    v.length("body", request.body().len(), 1, usize::MAX);
    v.finish()?;
    let detector = service.read(|state| {
        state
            .hosted_model(project, version)
            .map(|model| model.detector.clone())
    })?;
    // Checked and computed outside the lock: the image can be large and needs no state.
    let content_type = content_type.as_deref().unwrap_or_default();
    let dimensions = image::check(content_type, request.body())?;
    let detection = match detector {
        None => synthetic::detect(request.body()),
        Some(detector) => {
            let (width, height) = detector.dimensions();
            if (dimensions.width, dimensions.height) != (width, height) {
                return Err(ApiError::validation(format!(
                    "The image is {}x{} pixels, but model version {version} of project                      {project} was trained on images of {width}x{height}; send an image with                      the training images' dimensions.",
                    dimensions.width, dimensions.height
                )));
            }
            detector.detect(&image::decode(content_type, request.body())?)
        }
    };
    Ok(Reply::ok(
        json!({ "DetectAnomalyResult": detect_anomaly_result(&detection) }),
    ))
}
