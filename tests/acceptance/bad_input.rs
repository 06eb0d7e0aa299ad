//! The bad-input catalogue: every argument of the provider, of every resource and of every data
//! source, given values that break the API's constraints, fails at plan with the attribute
//! named and the rule stated, and no request reaches the service.

use harness::Workspace;

/// One case: where the bad value goes, the attribute path Terraform reports, and a fragment
/// of the rule the message must state.
struct Case {
    provider_extra: String,
    /// A replacement inside the provider block, for arguments it already sets.
    provider_replace: Option<(&'static str, &'static str)>,
    resources: String,
    path: &'static str,
    rule: &'static str,
}

fn provider(extra: &str, path: &'static str, rule: &'static str) -> Case {
    Case {
        provider_extra: extra.to_owned(),
        provider_replace: None,
        resources: VALID_PROJECT.to_owned(),
        path,
        rule,
    }
}

fn provider_replacing(
    from: &'static str,
    to: &'static str,
    path: &'static str,
    rule: &'static str,
) -> Case {
    Case {
        provider_replace: Some((from, to)),
        ..provider("", path, rule)
    }
}

fn resource(resources: String, path: &'static str, rule: &'static str) -> Case {
    Case {
        resources,
        ..provider("", path, rule)
    }
}

const VALID_PROJECT: &str = "resource \"lookoutvision_project\" \"p\" {\n  name = \"p\"\n}\n";

fn project(body: &str) -> String {
    format!("resource \"lookoutvision_project\" \"p\" {{\n{body}\n}}\n")
}

fn dataset(body: &str) -> String {
    format!("resource \"lookoutvision_dataset\" \"d\" {{\n  project_name = \"p\"\n{body}\n}}\n")
}

/// A dataset whose source block holds `source`.
fn dataset_source(source: &str) -> String {
    dataset(&format!(
        "  dataset_type = \"train\"\n  source {{\n{source}\n  }}"
    ))
}

fn model(body: &str) -> String {
    format!("resource \"lookoutvision_model\" \"m\" {{\n  project_name = \"p\"\n{body}\n}}\n")
}

/// A model with a valid output location and `body`.
fn model_with(body: &str) -> String {
    model(&format!(
        "  output_config {{\n    bucket = \"out\"\n  }}\n{body}"
    ))
}

/// A data source of `type_name` with `body`.
fn data(type_name: &str, body: &str) -> String {
    format!("data \"{type_name}\" \"d\" {{\n{body}\n}}\n")
}

fn many_tags(count: usize) -> String {
    many_tags_named("k", count)
}

/// A map of `count` tags whose keys start with `prefix`.
fn many_tags_named(prefix: &str, count: usize) -> String {
    let entries: Vec<String> = (0..count)
        .map(|i| format!("    {prefix}{i} = \"v\""))
        .collect();
    format!("{{\n{}\n  }}", entries.join("\n"))
}

fn catalogue() -> Vec<Case> {
    vec![
        // The provider block.
        provider("  skip_region_validation_is_not_an_argument = true", "skip_region_validation_is_not_an_argument", "An argument named"),
        provider_replacing("region     = \"us-east-1\"", "region     = \"US-EAST-1\"", "region", "an AWS region name such as `us-east-1`"),
        provider_replacing("region     = \"us-east-1\"", "region     = \"\"", "region", "an AWS region name such as `us-east-1`"),
        provider("  retry_mode = \"Standard\"", "retry_mode", "one of `standard`, `adaptive`"),
        provider(&format!("  default_tags {{\n    tags = {}\n  }}", many_tags(201)), "default_tags.tags", "a map of at most 200 entries"),
        provider_replacing("lookoutvision = \"http://", "lookoutvision = \"localhost:5566/http://", "endpoints.lookoutvision", "an absolute http:// or https:// URL"),
        provider("  max_retries = -1", "max_retries", "a whole number from 0 to 100"),
        provider("  max_retries = 101", "max_retries", "a whole number from 0 to 100"),
        provider("  max_retries = 1.5", "max_retries", "a whole number from 0 to 100"),
        provider_replacing("access_key = \"test\"", "access_key = \"\"", "access_key", "between 1 and 128 characters"),
        provider_replacing("secret_key = \"test\"", "secret_key = \"\"", "secret_key", "between 1 and 1024 characters"),
        provider("  shared_config_files = [\"\"]", "shared_config_files[0]", "between 1 and 4096 characters"),
        provider("  shared_credentials_files = [\"\"]", "shared_credentials_files[0]", "between 1 and 4096 characters"),
        // Project.
        resource(project("  name = \"\""), "name", "between 1 and 255 characters"),
        resource(project(&format!("  name = \"{}\"", "n".repeat(256))), "name", "between 1 and 255 characters"),
        resource(project("  name = \"-leading-hyphen\""), "name", "starting with a letter or digit"),
        resource(project("  name = \"has space\""), "name", "letters, digits, hyphens and underscores"),
        resource(project("  name = \"p\"\n  timeouts {\n    delete = \"10 minutes\"\n  }"), "timeouts.delete", "a duration such as"),
        resource(project("  name = \"p\"\n  timeouts {\n    delete = \"-5m\"\n  }"), "timeouts.delete", "a duration such as"),
        resource(project("  name = \"p\"\n  timeouts {\n    delete = \"2d\"\n  }"), "timeouts.delete", "a duration such as"),
        // Longer than any clock holds: refused at plan, not a crash at apply.
        resource(project("  name = \"p\"\n  timeouts {\n    delete = \"4000000000000000h\"\n  }"), "timeouts.delete", "of at most 2562047h47m16s"),
        // Dataset.
        resource(dataset("  dataset_type = \"TRAIN\""), "dataset_type", "one of `train`, `test`"),
        resource(dataset("  dataset_type = \"validation\""), "dataset_type", "one of `train`, `test`"),
        resource(
            "resource \"lookoutvision_dataset\" \"d\" {\n  project_name = \"bad name\"\n  dataset_type = \"train\"\n}\n".to_owned(),
            "project_name",
            "letters, digits, hyphens and underscores",
        ),
        resource(dataset_source("    bucket = \"ab\"\n    key = \"m\""), "source.bucket", "between 3 and 63 characters"),
        resource(dataset_source("    bucket = \"bad/bucket\"\n    key = \"m\""), "source.bucket", "letters, digits, dots, hyphens and underscores"),
        resource(dataset_source("    bucket = \"bucket\"\n    key = \"\""), "source.key", "between 1 and 1024 characters"),
        resource(dataset_source("    bucket = \"bucket\"\n    key = \"has space\""), "source.key", "letters, digits, and the characters"),
        resource(dataset_source("    bucket = \"bucket\"\n    key = \"m\"\n    version_id = \"\""), "source.version_id", "between 1 and 1024 characters"),
        resource(dataset("  dataset_type = \"train\"\n  timeouts {\n    create = \"soon\"\n  }"), "timeouts.create", "a duration such as"),
        // Model.
        resource(model_with("  description = \"has spaces\""), "description", "without spaces"),
        resource(model_with("  description = \"\""), "description", "between 1 and 500 characters"),
        resource(model_with(&format!("  description = \"{}\"", "d".repeat(501))), "description", "between 1 and 500 characters"),
        resource(model("  output_config {\n    bucket = \"x\"\n  }"), "output_config.bucket", "between 3 and 63 characters"),
        resource(model("  output_config {\n    bucket = \"out\"\n    prefix = \"bad prefix\"\n  }"), "output_config.prefix", "letters, digits, and the characters"),
        resource(model_with("  kms_key_id = \"\""), "kms_key_id", "between 1 and 2048 characters"),
        resource(model_with("  kms_key_id = \"-key\""), "kms_key_id", "a KMS key ID, alias or ARN"),
        resource(model_with(&format!("  tags = {}", many_tags(201))), "tags", "a map of at most 200 entries"),
        // Each map is within the limit; merged they are not.
        Case {
            provider_extra: format!("  default_tags {{\n    tags = {}\n  }}", many_tags_named("d", 150)),
            ..resource(model_with(&format!("  tags = {}", many_tags_named("m", 60))), "tags", "make 210 tags together (60 of this resource's own), but the service accepts at most 200")
        },
        resource(model_with("  tags = {\n    \"\" = \"v\"\n  }"), "tags[\"\"]", "between 1 and 128 characters"),
        resource(model_with("  tags = {\n    \"bad!\" = \"v\"\n  }"), "tags[\"bad!\"]", "letters, digits, spaces and the characters"),
        resource(model_with(&format!("  tags = {{\n    k = \"{}\"\n  }}", "v".repeat(257))), "tags[\"k\"]", "between 0 and 256 characters"),
        resource(model_with("  min_inference_units = 0"), "min_inference_units", "a whole number from 1 to 1000"),
        resource(model_with("  min_inference_units = 1.5"), "min_inference_units", "a whole number from 1 to 1000"),
        resource(model_with("  min_inference_units = 1\n  max_inference_units = 0"), "max_inference_units", "a whole number from 1 to 1000"),
        resource(model_with("  min_inference_units = 3\n  max_inference_units = 2"), "max_inference_units", "at least min_inference_units (3)"),
        resource(model_with("  max_inference_units = 2"), "max_inference_units", "needs min_inference_units"),
        resource(model_with("  timeouts {\n    update = \"1 hour\"\n  }"), "timeouts.update", "a duration such as"),
        // Data sources: the resources' rules for the same arguments.
        resource(data("lookoutvision_project", "  name = \"-leading-hyphen\""), "name", "starting with a letter or digit"),
        resource(data("lookoutvision_project", &format!("  name = \"{}\"", "n".repeat(256))), "name", "between 1 and 255 characters"),
        resource(data("lookoutvision_dataset", "  project_name = \"p\"\n  dataset_type = \"TRAIN\""), "dataset_type", "one of `train`, `test`"),
        resource(data("lookoutvision_dataset", "  project_name = \"bad name\"\n  dataset_type = \"train\""), "project_name", "letters, digits, hyphens and underscores"),
        resource(data("lookoutvision_model", "  project_name = \"p\"\n  model_version = \"01\""), "model_version", "a model version number such as `1`"),
        resource(data("lookoutvision_model", "  project_name = \"p\"\n  status = \"RUNNING\""), "status", "one of `TRAINING`, `TRAINED`"),
        resource(data("lookoutvision_models", "  project_name = \"\""), "project_name", "between 1 and 255 characters"),
        resource(data("lookoutvision_models", "  project_name = \"p\"\n  status = \"hosted\""), "status", "one of `TRAINING`, `TRAINED`"),
        // Null where a value must be: Terraform lets an explicit null through to the provider.
        resource(project("  name = null"), "name", "is required, but it is null"),
        resource(dataset_source("    bucket = null\n    key = \"m\""), "source.bucket", "is required, but it is null"),
        resource(model_with("  tags = {\n    team = null\n  }"), "tags[\"team\"]", "a map value cannot be null"),
    ]
}

#[test]
fn every_bad_argument_fails_at_plan_naming_it_without_api_calls() {
    let ws = Workspace::in_process();
    ws.write_config(VALID_PROJECT);
    ws.init();
    let mut failures = Vec::new();
    for case in catalogue() {
        let mut provider = ws.provider_config_with(&case.provider_extra);
        if let Some((from, to)) = case.provider_replace {
            provider = provider.replace(from, to);
        }
        ws.write_raw_config(&format!("{provider}\n{}", case.resources));
        let plan = ws.run(&["plan", "-no-color"]);
        let text = plan.text();
        let named = if case.rule == "An argument named" {
            // Terraform itself rejects arguments the schema does not declare.
            text.contains(&format!(
                "An argument named \"{}\" is not expected here",
                case.path
            ))
        } else {
            text.contains(&format!("Invalid value for {}", case.path)) && text.contains(case.rule)
        };
        if plan.code != 1 || !named {
            failures.push(format!(
                "{} (expected {:?}): exit {}: {text}",
                case.path, case.rule, plan.code
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        ws.emulator.requests().is_empty(),
        "no API call may be made: {:#?}",
        ws.emulator.requests()
    );
}

#[test]
fn a_secret_is_never_repeated_in_a_diagnostic() {
    let ws = Workspace::in_process();
    let secret = format!("S3cr3t-{}", "x".repeat(1100));
    // Through a sensitive variable, as secrets are written: a literal would be shown by
    // terraform itself when it quotes the configuration line.
    ws.write_raw_config(&format!(
        "{}\n{VALID_PROJECT}\nvariable \"secret\" {{\n  type      = string\n  sensitive = true\n  default   = \"{secret}\"\n}}\n",
        ws.provider_config()
            .replace("secret_key = \"test\"", "secret_key = var.secret")
    ));
    ws.init();
    let plan = ws.run(&["plan", "-no-color"]);
    let text = plan.text();
    assert_eq!(plan.code, 1, "{text}");
    assert!(text.contains("Invalid value for secret_key"), "{text}");
    assert!(
        !plan.all_output().contains("S3cr3t"),
        "the secret leaked: {text}"
    );
}

#[test]
fn secrets_never_reach_trace_logs_or_the_state() {
    // The built binary, started by terraform with provider logging at TRACE: its log lines
    // reach terraform's stderr.
    let mut ws = Workspace::with(crate::provider_binary(), harness::Emulator::start());
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
    ws.write_raw_config(&format!(
        "{}\n{VALID_PROJECT}\nvariable \"secret\" {{\n  type      = string\n  sensitive = true\n  default   = \"{secret}\"\n}}\n\nvariable \"token\" {{\n  type      = string\n  sensitive = true\n  default   = \"{token}\"\n}}\n",
        ws.provider_config()
            .replace("secret_key = \"test\"", "secret_key = var.secret\n  token      = var.token")
    ));
    ws.env.push(("TF_LOG_PROVIDER".into(), "trace".into()));
    let run = ws.apply();
    assert!(
        run.stderr.contains("tf_rpc=ConfigureProvider"),
        "provider logs were expected on stderr:\n{}",
        run.stderr
    );
    for value in [secret, token] {
        assert!(
            !run.all_output().contains(value),
            "a secret reached the output"
        );
    }
    let state = std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("a state file");
    for value in [secret, token] {
        assert!(!state.contains(value), "a secret reached the state");
    }
    ws.destroy();
}
