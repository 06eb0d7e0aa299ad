//! Provider settings against the emulator and loopback stand-ins: roles assumed through an STS
//! stand-in (the emulator checks that the role's temporary credentials sign the requests),
//! profiles from `~/.aws/config` including IAM Identity Center, the CA bundle, proxies, region
//! validation, the profile's retry settings, and what bad settings say at plan time. Tests that
//! need environment variables run the provider binary, which Terraform starts with the
//! environment given; the others serve it in-process.

use harness::aws::{Sso, Sts, StsAnswer, TemporaryCredentials};
use harness::net::{Proxy, TestCa, TlsFront};
use harness::{Emulator, ProviderMode, Run, Workspace};
use lookoutvision::provider::SOURCE_ADDRESS;

const PROJECT: &str = "resource \"lookoutvision_project\" \"p\" {\n  name = \"settings\"\n}\n";

/// Everything in the environment that could lend the provider credentials or settings.
const AWS_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CA_BUNDLE",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_LOOKOUTVISION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `main.tf`: the provider block holding exactly `provider`, and one project.
fn write(ws: &Workspace, provider: &str) {
    write_with(ws, provider, "");
}

/// `main.tf` as [`write`] makes it, with `extra` (variables) after it.
fn write_with(ws: &Workspace, provider: &str, extra: &str) {
    ws.write_raw_config(&format!(
        "terraform {{\n  required_providers {{\n    lookoutvision = {{\n      source = \"{SOURCE_ADDRESS}\"\n    }}\n  }}\n}}\n\nprovider \"lookoutvision\" {{\n{provider}\n}}\n\n{PROJECT}\n{extra}"
    ));
}

/// A workspace running the provider binary with a private HOME and none of the machine's AWS
/// settings, against `emulator`.
fn binary_workspace(emulator: Emulator) -> Workspace {
    let mut ws = Workspace::with(crate::provider_binary(), emulator);
    ws.unset = AWS_VARIABLES.iter().map(|v| v.to_string()).collect();
    let home = ws.path().join("home");
    std::fs::create_dir_all(home.join(".aws/sso/cache")).expect("a home directory");
    ws.env.push(("HOME".into(), home.display().to_string()));
    ws
}

fn home(ws: &Workspace) -> std::path::PathBuf {
    ws.path().join("home")
}

fn set_env(ws: &mut Workspace, name: &str, value: &str) {
    ws.env.retain(|(k, _)| k != name);
    ws.env.push((name.to_owned(), value.to_owned()));
}

fn unset_env(ws: &mut Workspace, name: &str) {
    ws.env.retain(|(k, _)| k != name);
}

fn plan_fails(ws: &Workspace) -> Run {
    let run = ws.run(&["plan", "-no-color"]);
    assert_eq!(run.code, 1, "the plan should fail:\n{}", run.all_output());
    run
}

fn assert_mentions(run: &Run, parts: &[&str]) {
    let text = run.text();
    for part in parts {
        assert!(text.contains(part), "{part:?} is not in:\n{text}");
    }
}

fn assert_never_shown(run: &Run, secrets: &[&str]) {
    let output = run.all_output();
    for secret in secrets {
        assert!(
            !output.contains(secret),
            "a secret reached the output: {output}"
        );
    }
}

fn emulator_signed_by(credentials: &TemporaryCredentials) -> Emulator {
    Emulator::start_with(&credentials.emulator_flags())
}

const ROLE: &str = "arn:aws:iam::123456789012:role/terraform";

#[test]
fn assume_role_signs_every_request_with_the_roles_credentials_and_sends_every_setting() {
    let role = TemporaryCredentials::new("role");
    let sts = Sts::start(StsAnswer::Grant(role.clone()));
    let ws = Workspace::with(ProviderMode::InProcess, emulator_signed_by(&role));
    write(
        &ws,
        &format!(
            r#"  region     = "us-east-1"
  access_key = "AKIASOURCEEXAMPLE"
  secret_key = "source-secret"
  endpoints {{
    lookoutvision = "{}"
    sts           = "{}"
  }}
  assume_role {{
    role_arn     = "{ROLE}"
    session_name = "ci-run-42"
    external_id  = "ext-123"
    duration     = "1h30m"
    policy       = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "lookoutvision:*", Resource = "*" }}] }})
    tags = {{
      team = "vision"
    }}
  }}"#,
            ws.emulator.url, sts.url
        ),
    );
    ws.init();
    ws.apply();
    // The emulator accepts only requests signed with the role's credentials.
    assert_eq!(ws.emulator.project_names(), ["settings"]);

    let calls = sts.calls();
    assert!(!calls.is_empty(), "STS was never called");
    let form = calls[0].form();
    assert_eq!(form["Action"], "AssumeRole");
    assert_eq!(form["RoleArn"], ROLE);
    assert_eq!(form["RoleSessionName"], "ci-run-42");
    assert_eq!(form["ExternalId"], "ext-123");
    assert_eq!(form["DurationSeconds"], "5400");
    assert!(form["Policy"].contains("lookoutvision:*"), "{form:?}");
    assert_eq!(form["Tags.member.1.Key"], "team");
    assert_eq!(form["Tags.member.1.Value"], "vision");
    // AssumeRole itself is signed with the source credentials.
    let authorization = calls[0].header("authorization").unwrap_or_default();
    assert!(
        authorization.contains("Credential=AKIASOURCEEXAMPLE/"),
        "{authorization}"
    );
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
}

#[test]
fn assume_role_with_web_identity_uses_the_token_file_and_no_other_credentials() {
    let role = TemporaryCredentials::new("webid");
    let sts = Sts::start(StsAnswer::Grant(role.clone()));
    let ws = Workspace::with(ProviderMode::InProcess, emulator_signed_by(&role));
    let token_file = ws.path().join("token");
    std::fs::write(&token_file, "eyJ0eXAiOiJKV1QifQ.web-identity-token.sig\n").expect("a token");
    write(
        &ws,
        &format!(
            r#"  region = "us-east-1"
  endpoints {{
    lookoutvision = "{}"
    sts           = "{}"
  }}
  assume_role_with_web_identity {{
    role_arn                = "{ROLE}"
    session_name            = "pipeline"
    web_identity_token_file = "{}"
    duration                = "15m"
    policy                  = jsonencode({{ Version = "2012-10-17", Statement = [] }})
  }}"#,
            ws.emulator.url,
            sts.url,
            token_file.display()
        ),
    );
    ws.init();
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["settings"]);
    let calls = sts.calls();
    let form = calls[0].form();
    assert_eq!(form["Action"], "AssumeRoleWithWebIdentity");
    assert_eq!(form["RoleArn"], ROLE);
    assert_eq!(form["RoleSessionName"], "pipeline");
    assert_eq!(
        form["WebIdentityToken"],
        "eyJ0eXAiOiJKV1QifQ.web-identity-token.sig"
    );
    assert_eq!(form["DurationSeconds"], "900");
    assert!(form.contains_key("Policy"), "{form:?}");
    assert!(
        calls[0].header("authorization").is_none(),
        "AssumeRoleWithWebIdentity needs no signature"
    );
    ws.destroy();
}

#[test]
fn secrets_of_roles_never_reach_messages_or_trace_logs() {
    // The binary, logging at TRACE to terraform's stderr: the web identity token, the role's
    // secret key and session token never show, on success or on a refusal.
    let role = TemporaryCredentials::new("traced");
    let sts = Sts::start(StsAnswer::Grant(role.clone()));
    let mut ws = binary_workspace(emulator_signed_by(&role));
    ws.env.push(("TF_LOG_PROVIDER".into(), "trace".into()));
    let token = "eyJhbGciOiJSUzI1NiJ9.oidc-token-value.signature";
    let provider = |sts: &str| {
        format!(
            r#"  region = "us-east-1"
  endpoints {{
    lookoutvision = "{}"
    sts           = "{sts}"
  }}
  assume_role_with_web_identity {{
    role_arn           = "{ROLE}"
    web_identity_token = var.token
  }}"#,
            ws.emulator.url
        )
    };
    let variable = format!(
        "\nvariable \"token\" {{\n  type      = string\n  sensitive = true\n  default   = \"{token}\"\n}}\n"
    );
    write_with(&ws, &provider(&sts.url), &variable);
    let run = ws.apply();
    assert!(
        run.stderr.contains("tf_rpc=ConfigureProvider"),
        "no provider logs:\n{}",
        run.stderr
    );
    let secrets = [token, &role.secret_access_key, &role.session_token];
    assert_never_shown(&run, &secrets);
    assert_eq!(sts.calls()[0].form()["WebIdentityToken"], token);

    let refusing = Sts::start(StsAnswer::Refuse(
        "InvalidIdentityToken".into(),
        "Couldn't retrieve verification key from your identity provider".into(),
    ));
    write_with(&ws, &provider(&refusing.url), &variable);
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            &format!("Cannot assume role {ROLE}"),
            "InvalidIdentityToken",
            "trust policy accepts tokens",
        ],
    );
    assert_never_shown(&run, &secrets);
    write_with(&ws, &provider(&sts.url), &variable);
    ws.destroy();
}

#[test]
fn a_role_sts_refuses_fails_at_plan_naming_the_role_and_what_to_do() {
    let sts = Sts::start(StsAnswer::Refuse(
        "AccessDenied".into(),
        format!("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: {ROLE}"),
    ));
    let ws = Workspace::in_process();
    write(
        &ws,
        &format!(
            r#"  region     = "us-east-1"
  access_key = "AKIASOURCEEXAMPLE"
  secret_key = "source-secret-never-shown"
  endpoints {{
    lookoutvision = "{}"
    sts           = "{}"
  }}
  assume_role {{
    role_arn = "{ROLE}"
  }}"#,
            ws.emulator.url, sts.url
        ),
    );
    ws.init();
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            &format!("Cannot assume role {ROLE}"),
            "STS refused AssumeRole",
            "AccessDenied",
            "not authorized to perform: sts:AssumeRole",
            "request ID sts-refusal-1",
            "trust policy lets the source credentials",
            "role_arn",
        ],
    );
    assert_never_shown(&run, &["source-secret-never-shown"]);
    assert!(ws.emulator.requests().is_empty(), "no API call may be made");
}

/// `~/.aws/config` in the workspace's HOME.
fn write_aws_config(ws: &Workspace, text: &str) {
    std::fs::write(home(ws).join(".aws/config"), text).expect("the shared config is written");
}

fn endpoint_only(ws: &Workspace) -> String {
    format!(
        "  endpoints {{\n    lookoutvision = \"{}\"\n  }}",
        ws.emulator.url
    )
}

#[test]
fn profiles_come_from_the_shared_config_through_aws_profile_or_aws_default_profile() {
    let dev = TemporaryCredentials::new("dev");
    let mut ws = binary_workspace(emulator_signed_by(&dev));
    write_aws_config(
        &ws,
        &format!(
            "[default]\nregion = eu-west-1\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = wrong\n\n\
             [profile dev]\nregion = us-east-1\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            dev.access_key_id, dev.secret_access_key
        ),
    );
    write(&ws, &endpoint_only(&ws));
    set_env(&mut ws, "AWS_PROFILE", "dev");
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["settings"]);

    // AWS_DEFAULT_PROFILE names the profile when AWS_PROFILE does not.
    unset_env(&mut ws, "AWS_PROFILE");
    set_env(&mut ws, "AWS_DEFAULT_PROFILE", "dev");
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());

    // Without either, the default profile's keys sign, and the emulator refuses them.
    unset_env(&mut ws, "AWS_DEFAULT_PROFILE");
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(run.code, 0, "the default profile's keys were accepted");
}

/// An IAM Identity Center profile in `~/.aws/config` and its cached token, expiring at
/// `expires_at`; the portal stand-in reached through `AWS_ENDPOINT_URL_SSO`.
fn sso_profile(ws: &mut Workspace, sso: &Sso, access_token: &str, expires_at: &str) {
    write_aws_config(
        ws,
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Developer\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\nsso_registration_scopes = sso:account:access\n",
    );
    let cache = lookoutvision::aws::config::sso_cache_file(&home(ws), "corp");
    std::fs::write(
        &cache,
        serde_json::json!({
            "accessToken": access_token,
            "expiresAt": expires_at,
            "region": "us-east-1",
            "startUrl": "https://corp.awsapps.com/start",
        })
        .to_string(),
    )
    .expect("the token cache is written");
    set_env(ws, "AWS_PROFILE", "sso");
    set_env(ws, "AWS_ENDPOINT_URL_SSO", &sso.url);
}

#[test]
fn an_sso_profile_signs_in_with_the_token_aws_sso_login_cached() {
    let granted = TemporaryCredentials::new("sso");
    let token = "aoaAAAAAGsso-access-token-value";
    let sso = Sso::start(token, granted.clone());
    let mut ws = binary_workspace(emulator_signed_by(&granted));
    sso_profile(&mut ws, &sso, token, "2099-01-01T00:00:00Z");
    ws.env.push(("TF_LOG_PROVIDER".into(), "trace".into()));
    write(&ws, &endpoint_only(&ws));
    let run = ws.apply();
    assert_eq!(ws.emulator.project_names(), ["settings"]);
    let call = &sso.calls()[0];
    assert_eq!(call.query_params()["role_name"], "Developer");
    assert_eq!(call.query_params()["account_id"], "123456789012");
    assert_never_shown(
        &run,
        &[token, &granted.secret_access_key, &granted.session_token],
    );
    ws.destroy();
}

#[test]
fn an_expired_sso_token_fails_at_plan_saying_to_sign_in_again() {
    let token = "aoaAAAAAGexpired-access-token";
    let sso = Sso::start(token, TemporaryCredentials::new("unused"));
    let mut ws = binary_workspace(Emulator::start());
    sso_profile(&mut ws, &sso, token, "2020-01-01T00:00:00Z");
    write(&ws, &endpoint_only(&ws));
    let run = plan_fails(&ws);
    let cache = lookoutvision::aws::config::sso_cache_file(&home(&ws), "corp");
    assert_mentions(
        &run,
        &[
            "Profile \"sso\": IAM Identity Center sign-in needed",
            "expired at 2020-01-01T00:00:00Z",
            &cache.display().to_string(),
            "aws sso login --profile sso",
        ],
    );
    assert_never_shown(&run, &[token]);
    assert!(sso.calls().is_empty(), "an expired token was sent");
}

#[test]
fn an_unknown_profile_or_one_without_credentials_fails_at_plan_naming_it_and_the_files() {
    let mut ws = binary_workspace(Emulator::start());
    write_aws_config(&ws, "[profile empty]\nregion = us-east-1\n");
    let config = home(&ws).join(".aws/config").display().to_string();

    write(
        &ws,
        &format!("  profile = \"staging\"\n{}", endpoint_only(&ws)),
    );
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            "Profile \"staging\" not found",
            "named by `profile`",
            &config,
            "They hold: empty.",
            "aws configure --profile staging",
        ],
    );

    // Named through the environment, the message says so.
    write(&ws, &endpoint_only(&ws));
    set_env(&mut ws, "AWS_PROFILE", "staging");
    let run = plan_fails(&ws);
    assert_mentions(&run, &["Profile \"staging\" not found", "AWS_PROFILE"]);

    set_env(&mut ws, "AWS_PROFILE", "empty");
    write(
        &ws,
        &format!("  skip_metadata_api_check = true\n{}", endpoint_only(&ws)),
    );
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            "Profile \"empty\" has no credentials",
            &config,
            "aws_access_key_id",
            "sso_session",
        ],
    );
    assert!(ws.emulator.requests().is_empty(), "no API call may be made");
}

fn static_keys(ws: &Workspace, endpoint: &str, extra: &str) -> String {
    let _ = ws;
    format!(
        "  region     = \"us-east-1\"\n  access_key = \"test\"\n  secret_key = \"test\"\n  endpoints {{\n    lookoutvision = \"{endpoint}\"\n  }}\n{extra}"
    )
}

#[test]
fn custom_ca_bundle_trusts_an_https_endpoint_which_fails_clearly_without_it() {
    let ws = Workspace::in_process();
    let ca = TestCa::new();
    let bundle = ca.write_pem(&ws.path().join("test-ca.pem"));
    let front = TlsFront::start(&ca, ws.emulator.address());
    ws.init();

    write(&ws, &static_keys(&ws, &front.url, "  max_retries = 0"));
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "an untrusted certificate was accepted");
    assert_mentions(
        &run,
        &[
            "certificate",
            "not trusted: set `custom_ca_bundle` (or AWS_CA_BUNDLE)",
        ],
    );

    write(
        &ws,
        &static_keys(
            &ws,
            &front.url,
            &format!("  custom_ca_bundle = \"{}\"", bundle.display()),
        ),
    );
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["settings"]);
    ws.assert_plan_empty(true);

    let missing = ws.path().join("no-such-ca.pem");
    write(
        &ws,
        &static_keys(
            &ws,
            &front.url,
            &format!("  custom_ca_bundle = \"{}\"", missing.display()),
        ),
    );
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            "Cannot use the custom CA bundle",
            &missing.display().to_string(),
            "named by `custom_ca_bundle`",
            "PEM file",
        ],
    );
    std::fs::write(&missing, "not a certificate").expect("a file");
    let run = plan_fails(&ws);
    assert_mentions(&run, &["holds no certificate"]);

    write(
        &ws,
        &static_keys(
            &ws,
            &front.url,
            &format!("  custom_ca_bundle = \"{}\"", bundle.display()),
        ),
    );
    ws.destroy();
}

#[test]
fn proxies_carry_the_requests_and_no_proxy_bypasses_them() {
    let ws = Workspace::in_process();
    let proxy = Proxy::start();
    ws.init();
    let emulator = ws.emulator.url.clone();

    write(
        &ws,
        &static_keys(&ws, &emulator, &format!("  http_proxy = \"{}\"", proxy.url)),
    );
    ws.apply();
    let through: Vec<_> = proxy.proxied();
    assert!(
        through
            .iter()
            .any(|p| p.method == "POST" && p.target.starts_with(&format!("{emulator}/"))),
        "CreateProject did not go through the proxy: {through:?}"
    );

    // no_proxy names the emulator's address: nothing more goes through the proxy.
    write(
        &ws,
        &static_keys(
            &ws,
            &emulator,
            &format!(
                "  http_proxy = \"{}\"\n  no_proxy   = \"localhost,127.0.0.1\"",
                proxy.url
            ),
        ),
    );
    let before = proxy.proxied().len();
    ws.assert_plan_empty(true);
    assert_eq!(proxy.proxied().len(), before, "no_proxy was not honoured");

    // https_proxy: an HTTPS endpoint is reached through a CONNECT tunnel.
    let ca = TestCa::new();
    let bundle = ca.write_pem(&ws.path().join("ca.pem"));
    let front = TlsFront::start(&ca, ws.emulator.address());
    write(
        &ws,
        &static_keys(
            &ws,
            &front.url,
            &format!(
                "  https_proxy      = \"{}\"\n  custom_ca_bundle = \"{}\"",
                proxy.url,
                bundle.display()
            ),
        ),
    );
    ws.assert_plan_empty(true);
    let authority = front.url.trim_start_matches("https://");
    assert!(
        proxy
            .proxied()
            .iter()
            .any(|p| p.method == "CONNECT" && p.target == authority),
        "no CONNECT to {authority}: {:?}",
        proxy.proxied()
    );
    ws.destroy();
}

#[test]
fn the_standard_proxy_and_ca_variables_are_read() {
    let mut ws = binary_workspace(Emulator::start());
    let proxy = Proxy::start();
    let ca = TestCa::new();
    let bundle = ca.write_pem(&ws.path().join("ca.pem"));
    let front = TlsFront::start(&ca, ws.emulator.address());
    write(&ws, &static_keys(&ws, &front.url, ""));
    set_env(&mut ws, "AWS_CA_BUNDLE", &bundle.display().to_string());
    set_env(&mut ws, "HTTPS_PROXY", &proxy.url);
    ws.apply();
    let authority = front.url.trim_start_matches("https://").to_owned();
    let tunnels = |proxy: &Proxy| {
        proxy
            .proxied()
            .iter()
            .filter(|p| p.method == "CONNECT" && p.target == authority)
            .count()
    };
    assert!(tunnels(&proxy) > 0, "HTTPS_PROXY was not used");

    set_env(&mut ws, "NO_PROXY", "localhost");
    let before = tunnels(&proxy);
    ws.destroy();
    assert_eq!(tunnels(&proxy), before, "NO_PROXY was not honoured");
    assert!(ws.emulator.project_names().is_empty());

    set_env(&mut ws, "AWS_CA_BUNDLE", "/nonexistent/ca.pem");
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            "/nonexistent/ca.pem",
            "AWS_CA_BUNDLE",
            "the fallback of `custom_ca_bundle`",
        ],
    );
}

#[test]
fn skip_region_validation_lets_a_region_of_the_emulators_own_through() {
    let ws = Workspace::in_process();
    ws.init();
    let provider = |extra: &str| {
        format!(
            "  region     = \"emulator-local\"\n  access_key = \"test\"\n  secret_key = \"test\"\n  endpoints {{\n    lookoutvision = \"{}\"\n  }}\n{extra}",
            ws.emulator.url
        )
    };
    write(&ws, &provider(""));
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            "Invalid value for region",
            "\"emulator-local\"",
            "skip_region_validation = true",
        ],
    );
    write(&ws, &provider("  skip_region_validation = true"));
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["settings"]);
    ws.destroy();
}

#[test]
fn the_profiles_max_attempts_applies_unless_the_provider_block_sets_max_retries() {
    let ws = Workspace::in_process();
    ws.init();
    let config = ws.path().join("aws-config");
    let credentials = ws.path().join("aws-credentials");
    std::fs::write(
        &config,
        "[profile retries]\nmax_attempts = 2\nretry_mode = standard\n",
    )
    .expect("a config file");
    std::fs::write(&credentials, "").expect("a credentials file");
    let provider = |extra: &str| {
        static_keys(
            &ws,
            &ws.emulator.url,
            &format!(
                "  profile                  = \"retries\"\n  shared_config_files      = [\"{}\"]\n  shared_credentials_files = [\"{}\"]\n{extra}",
                config.display(),
                credentials.display()
            ),
        )
    };
    let fail_creates = |count: usize| {
        ws.emulator.admin_post(
            "/_emulator/faults",
            &format!(
                r#"{{"operation": "CreateProject", "error": "InternalServerException", "count": {count}, "retry_after": 0}}"#
            ),
        );
    };

    // The profile allows two attempts: both fail, and so does the apply.
    write(&ws, &provider(""));
    fail_creates(5);
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.all_output());
    assert_eq!(ws.emulator.count("CreateProject"), 2);

    // max_retries in the provider block wins: three retries outlast the three faults left.
    write(&ws, &provider("  max_retries = 3"));
    ws.apply();
    assert_eq!(ws.emulator.count("CreateProject"), 2 + 4);
    assert_eq!(ws.emulator.project_names(), ["settings"]);

    // A bad value in the profile names the profile, the setting and the file.
    std::fs::write(&config, "[profile retries]\nmax_attempts = lots\n").expect("a config file");
    write(&ws, &provider(""));
    let run = plan_fails(&ws);
    assert_mentions(
        &run,
        &[
            "Invalid max_attempts in profile \"retries\"",
            "max_attempts = \"lots\"",
            &config.display().to_string(),
            "max_retries",
        ],
    );
    write(&ws, &provider("  max_retries = 0"));
    ws.destroy();
}
