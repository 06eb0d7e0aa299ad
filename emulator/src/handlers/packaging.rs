//! StartModelPackagingJob, DescribeModelPackagingJob and ListModelPackagingJobs.

use serde::Deserialize;
use serde_json::json;

use super::models::{read_s3_location, S3LocationInput};
use super::shapes::{model_packaging_description, model_packaging_job_metadata};
use super::tags::{read_tags, TagInput};
use super::{list_in_project, run_idempotent};
use crate::error::{ApiError, Resource};
use crate::request::ApiRequest;
use crate::response::Reply;
use crate::routes::Operation;
use crate::service::Service;
use crate::state::{GreengrassConfiguration, NewPackagingJob, TargetPlatform};
use crate::validate::{
    Validator, COMPILER_OPTIONS, COMPONENT_DESCRIPTION, COMPONENT_NAME, COMPONENT_VERSION,
    MODEL_VERSION, PACKAGING_JOB_DESCRIPTION, PACKAGING_JOB_NAME, PROJECT_NAME,
    TARGET_ACCELERATORS, TARGET_ARCHES, TARGET_DEVICES, TARGET_OSES,
};

/// Where the Greengrass configuration sits in the input, for validation messages.
const GREENGRASS: &str = "configuration.greengrass";

/// The compiler options the NVIDIA accelerator needs (documented on `TargetPlatform`).
const NVIDIA_OPTIONS: [&str; 3] = ["gpu-code", "trt-ver", "cuda-ver"];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartModelPackagingJobInput {
    model_version: Option<String>,
    job_name: Option<String>,
    configuration: Option<ConfigurationInput>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigurationInput {
    greengrass: Option<GreengrassInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GreengrassInput {
    compiler_options: Option<String>,
    target_device: Option<String>,
    target_platform: Option<TargetPlatformInput>,
    s3_output_location: Option<S3LocationInput>,
    component_name: Option<String>,
    component_version: Option<String>,
    component_description: Option<String>,
    tags: Option<Vec<TagInput>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetPlatformInput {
    os: Option<String>,
    arch: Option<String>,
    accelerator: Option<String>,
}

/// `POST /2020-11-20/projects/{projectName}/modelpackagingjobs`
pub fn start(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: StartModelPackagingJobInput = request.json_body()?;
    let mut v = Validator::new();
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let model_version = v.required(
        "modelVersion",
        input.model_version.as_deref(),
        &MODEL_VERSION,
    );
    let name = v.optional("jobName", input.job_name.as_deref(), &PACKAGING_JOB_NAME);
    let description = v.optional(
        "description",
        input.description.as_deref(),
        &PACKAGING_JOB_DESCRIPTION,
    );
    let configuration = v
        .not_null("configuration", input.configuration)
        .and_then(|configuration| v.not_null(GREENGRASS, configuration.greengrass))
        .map(|greengrass| read_greengrass(&mut v, greengrass))
        // `v` has recorded the missing member, so this placeholder is never used.
        .unwrap_or_default();
    let config = &service.config;
    let new = NewPackagingJob {
        name: name.map(str::to_owned),
        model_version: model_version.to_owned(),
        description: description.map(str::to_owned),
        configuration,
    };
    run_idempotent(
        service,
        request,
        v,
        Operation::StartModelPackagingJob,
        Resource::project(project),
        |state, now| {
            let component_arn = |component: &str, version: &str| {
                format!(
                    "arn:aws:greengrass:{}:{}:components:{component}:versions:{version}",
                    config.region, config.account_id
                )
            };
            // The model must exist before the quota counts: a missing one is a 404.
            state.model(project, model_version)?;
            config
                .quotas
                .check_start_packaging_job(state, model_version)?;
            let job = state.start_packaging_job(
                project,
                new,
                component_arn,
                now,
                config.durations.packaging,
            )?;
            Ok(Reply::ok(json!({ "JobName": job.name })))
        },
    )
}

/// Checks `Configuration.Greengrass`: every member's own constraint, plus the rules the
/// documentation states in prose (exactly one of `TargetDevice` and `TargetPlatform`, no
/// `CompilerOptions` with `TargetDevice`, the NVIDIA accelerator's compiler options).
fn read_greengrass(v: &mut Validator, input: GreengrassInput) -> GreengrassConfiguration {
    let field = |member: &str| format!("{GREENGRASS}.{member}");
    let compiler_options = v.optional(
        &field("compilerOptions"),
        input.compiler_options.as_deref(),
        &COMPILER_OPTIONS,
    );
    let target_device = v.optional_enum(
        &field("targetDevice"),
        input.target_device.as_deref(),
        TARGET_DEVICES,
    );
    let target_platform = input.target_platform.map(|platform| TargetPlatform {
        os: v
            .required_enum(
                &field("targetPlatform.os"),
                platform.os.as_deref(),
                TARGET_OSES,
            )
            .to_owned(),
        arch: v
            .required_enum(
                &field("targetPlatform.arch"),
                platform.arch.as_deref(),
                TARGET_ARCHES,
            )
            .to_owned(),
        accelerator: v
            .optional_enum(
                &field("targetPlatform.accelerator"),
                platform.accelerator.as_deref(),
                TARGET_ACCELERATORS,
            )
            .map(str::to_owned),
    });
    if target_device.is_some() == target_platform.is_some() {
        v.unmet(
            GREENGRASS,
            "Member must set exactly one of targetDevice and targetPlatform",
        );
    }
    if target_device.is_some() && compiler_options.is_some() {
        v.unmet(
            &field("compilerOptions"),
            "Member must not be set together with targetDevice",
        );
    }
    let nvidia = target_platform
        .as_ref()
        .is_some_and(|platform| platform.accelerator.as_deref() == Some("NVIDIA"));
    let missing: Vec<_> = NVIDIA_OPTIONS
        .into_iter()
        .filter(|option| !compiler_options.unwrap_or_default().contains(option))
        .collect();
    if nvidia && !missing.is_empty() {
        v.unmet(
            &field("compilerOptions"),
            format_args!(
                "Member must set {} for the NVIDIA accelerator",
                missing.join(", ")
            ),
        );
    }
    GreengrassConfiguration {
        compiler_options: compiler_options.map(str::to_owned),
        target_device: target_device.map(str::to_owned),
        target_platform,
        s3_output_location: read_s3_location(
            v,
            &field("s3OutputLocation"),
            input.s3_output_location,
        ),
        component_name: v
            .required(
                &field("componentName"),
                input.component_name.as_deref(),
                &COMPONENT_NAME,
            )
            .to_owned(),
        component_version: v
            .optional(
                &field("componentVersion"),
                input.component_version.as_deref(),
                &COMPONENT_VERSION,
            )
            .map(str::to_owned),
        component_description: v
            .optional(
                &field("componentDescription"),
                input.component_description.as_deref(),
                &COMPONENT_DESCRIPTION,
            )
            .map(str::to_owned),
        tags: read_tags(v, &field("tags"), input.tags.as_deref().unwrap_or_default()),
    }
}

/// `GET /2020-11-20/projects/{projectName}/modelpackagingjobs/{jobName}`
pub fn describe(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let name = v.string("jobName", request.label(1), &PACKAGING_JOB_NAME);
    v.finish()?;
    service.read(|state| {
        let job = state.packaging_job(project, name)?;
        Ok(Reply::ok(json!({
            "ModelPackagingDescription": model_packaging_description(project, job),
        })))
    })
}

/// `GET /2020-11-20/projects/{projectName}/modelpackagingjobs?maxResults=&nextToken=`
pub fn list(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    list_in_project(
        service,
        request,
        Operation::ListModelPackagingJobs,
        "ModelPackagingJobs",
        |project| &project.packaging_jobs,
        model_packaging_job_metadata,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greengrass(json: serde_json::Value) -> Result<GreengrassConfiguration, String> {
        let input: GreengrassInput = serde_json::from_value(json).unwrap();
        let mut v = Validator::new();
        let config = read_greengrass(&mut v, input);
        v.finish()
            .map(|()| config)
            .map_err(|err| err.message().to_owned())
    }

    fn base() -> serde_json::Value {
        json!({
            "S3OutputLocation": {"Bucket": "bucket"},
            "ComponentName": "component",
        })
    }

    fn with(members: serde_json::Value) -> serde_json::Value {
        let mut config = base();
        for (key, value) in members.as_object().unwrap() {
            config[key] = value.clone();
        }
        config
    }

    #[test]
    fn a_device_or_a_platform_configuration_is_read_as_sent() {
        let device = greengrass(with(json!({"TargetDevice": "jetson_xavier"}))).unwrap();
        assert_eq!(device.target_device.as_deref(), Some("jetson_xavier"));
        assert_eq!(device.target_platform, None);
        let platform = greengrass(with(json!({
            "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
            "CompilerOptions": "{\"mcpu\": \"skylake-avx512\"}",
            "ComponentVersion": "1.2.3",
            "Tags": [{"Key": "team", "Value": "vision"}],
        })))
        .unwrap();
        assert_eq!(
            platform.target_platform,
            Some(TargetPlatform {
                os: "LINUX".into(),
                arch: "X86_64".into(),
                accelerator: None
            })
        );
        assert_eq!(platform.component_version.as_deref(), Some("1.2.3"));
        assert_eq!(platform.tags["team"], "vision");
    }

    #[test]
    fn exactly_one_target_is_required() {
        for config in [
            base(),
            with(json!({
                "TargetDevice": "jetson_xavier",
                "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64"},
            })),
        ] {
            let message = greengrass(config).unwrap_err();
            assert_eq!(message, "1 validation error detected: Value at 'configuration.greengrass' failed to satisfy constraint: Member must set exactly one of targetDevice and targetPlatform");
        }
    }

    #[test]
    fn compiler_options_follow_the_target() {
        let message = greengrass(with(json!({
            "TargetDevice": "jetson_xavier",
            "CompilerOptions": "--fast",
        })))
        .unwrap_err();
        assert!(message.ends_with("Value at 'configuration.greengrass.compilerOptions' failed to satisfy constraint: Member must not be set together with targetDevice"), "{message}");

        let nvidia = |options: Option<&str>| {
            let mut config = with(json!({
                "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"},
            }));
            if let Some(options) = options {
                config["CompilerOptions"] = options.into();
            }
            greengrass(config)
        };
        assert!(nvidia(Some(
            r#"{"gpu-code": "sm_72", "trt-ver": "7.1.3", "cuda-ver": "10.2"}"#
        ))
        .is_ok());
        let message = nvidia(Some(r#"{"gpu-code": "sm_72"}"#)).unwrap_err();
        assert!(
            message.ends_with("Member must set trt-ver, cuda-ver for the NVIDIA accelerator"),
            "{message}"
        );
        assert!(nvidia(None)
            .unwrap_err()
            .contains("gpu-code, trt-ver, cuda-ver"));
    }

    #[test]
    fn every_member_is_checked_and_named_by_its_path() {
        let message = greengrass(json!({
            "CompilerOptions": "-O",
            "TargetPlatform": {"Os": "WINDOWS", "Accelerator": "TPU"},
            "S3OutputLocation": {"Prefix": "/abs"},
            "ComponentVersion": "1.0",
            "ComponentDescription": "",
            "Tags": [{"Key": "k"}],
        }))
        .unwrap_err();
        for expected in [
            "Value '-O' at 'configuration.greengrass.compilerOptions' failed to satisfy constraint: Member must have length greater than or equal to 3",
            "Value 'WINDOWS' at 'configuration.greengrass.targetPlatform.os' failed to satisfy constraint: Member must satisfy enum value set: [LINUX]",
            "Value null at 'configuration.greengrass.targetPlatform.arch' failed to satisfy constraint: Member must not be null",
            "Value 'TPU' at 'configuration.greengrass.targetPlatform.accelerator' failed to satisfy constraint: Member must satisfy enum value set: [NVIDIA]",
            "Value null at 'configuration.greengrass.s3OutputLocation.bucket' failed to satisfy constraint: Member must not be null",
            "Value '/abs' at 'configuration.greengrass.s3OutputLocation.prefix'",
            "Value null at 'configuration.greengrass.componentName' failed to satisfy constraint: Member must not be null",
            "Value '1.0' at 'configuration.greengrass.componentVersion' failed to satisfy constraint: Member must satisfy regular expression pattern",
            "Value '' at 'configuration.greengrass.componentDescription' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value null at 'configuration.greengrass.tags.1.member.value' failed to satisfy constraint: Member must not be null",
        ] {
            assert!(message.contains(expected), "{expected}\nnot in\n{message}");
        }
    }
}
