//! Loopback stand-ins for the AWS services that hand out credentials: STS (AssumeRole and
//! AssumeRoleWithWebIdentity, answered in STS's XML) and the IAM Identity Center portal
//! (GetRoleCredentials, in its JSON). Each grants the temporary credentials a test chose, so
//! the test can start the emulator checking SigV4 with exactly those.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::net::{HttpServer, Request, Response};

/// Temporary credentials a stand-in hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `ASIA...`.
    pub access_key_id: String,
    /// The secret, which must never show in Terraform's output.
    pub secret_access_key: String,
    /// The session token, likewise.
    pub session_token: String,
}

impl TemporaryCredentials {
    /// Fresh, distinct credentials whose values name `purpose` (so a leak is easy to spot).
    pub fn new(purpose: &str) -> TemporaryCredentials {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        TemporaryCredentials {
            access_key_id: format!("ASIA{}{pid}X{n}", purpose.to_ascii_uppercase()),
            secret_access_key: format!("{purpose}-secret-{pid}-{n}-wJalrXUtnFEMIK7MDENG"),
            session_token: format!("{purpose}-session-token-{pid}-{n}-FwoGZXIvYXdzEJr"),
        }
    }

    /// The emulator flags that make it accept only requests signed with these credentials.
    pub fn emulator_flags(&self) -> [&str; 4] {
        [
            "--access-key",
            &self.access_key_id,
            "--secret-key",
            &self.secret_access_key,
        ]
    }
}

/// What the STS stand-in answers.
#[derive(Clone, Debug)]
pub enum StsAnswer {
    /// The role's credentials.
    Grant(TemporaryCredentials),
    /// An error, as STS words it: code (e.g. `AccessDenied`) and message.
    Refuse(String, String),
}

/// A loopback STS.
pub struct Sts {
    server: HttpServer,
    /// Its URL, for `endpoints { sts }`.
    pub url: String,
}

const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

fn credentials_xml(action: &str, credentials: &TemporaryCredentials) -> String {
    format!(
        "<{action}Response xmlns=\"{STS_NS}\"><{action}Result><Credentials>\
         <AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>\
         </Credentials><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId>\
         <Arn>arn:aws:sts::123456789012:assumed-role/role/session</Arn></AssumedRoleUser>\
         </{action}Result><ResponseMetadata><RequestId>sts-request-1</RequestId>\
         </ResponseMetadata></{action}Response>",
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
}

impl Sts {
    /// An STS that answers every AssumeRole and AssumeRoleWithWebIdentity with `answer`.
    pub fn start(answer: StsAnswer) -> Sts {
        let server = HttpServer::start(move |request: &Request| {
            let form = request.form();
            let action = form.get("Action").cloned().unwrap_or_default();
            if !["AssumeRole", "AssumeRoleWithWebIdentity"].contains(&action.as_str()) {
                return Response::new(400, "text/xml", format!("unexpected action {action:?}"));
            }
            match &answer {
                StsAnswer::Grant(credentials) => {
                    Response::new(200, "text/xml", credentials_xml(&action, credentials))
                        .with_header("x-amzn-requestid", "sts-request-1")
                }
                StsAnswer::Refuse(code, message) => Response::new(
                    403,
                    "text/xml",
                    format!(
                        "<ErrorResponse xmlns=\"{STS_NS}\"><Error><Type>Sender</Type>\
                         <Code>{code}</Code><Message>{message}</Message></Error>\
                         <RequestId>sts-refusal-1</RequestId></ErrorResponse>"
                    ),
                )
                .with_header("x-amzn-requestid", "sts-refusal-1"),
            }
        });
        let url = server.url.clone();
        Sts { server, url }
    }

    /// The calls received, oldest first.
    pub fn calls(&self) -> Vec<Request> {
        self.server.requests()
    }
}

/// A loopback IAM Identity Center portal: GetRoleCredentials for one access token.
pub struct Sso {
    server: HttpServer,
    /// Its URL, for `AWS_ENDPOINT_URL_SSO`.
    pub url: String,
}

impl Sso {
    /// A portal that grants `credentials` to a request carrying `access_token`, and refuses
    /// any other token as the service does.
    pub fn start(access_token: &str, credentials: TemporaryCredentials) -> Sso {
        let access_token = access_token.to_owned();
        let server = HttpServer::start(move |request: &Request| {
            if request.path != "/federation/credentials" {
                return Response::new(404, "application/json", "{}");
            }
            if request.header("x-amz-sso_bearer_token") != Some(access_token.as_str()) {
                return Response::new(
                    401,
                    "application/json",
                    r#"{"message":"Session token not found or invalid"}"#,
                );
            }
            Response::new(
                200,
                "application/json",
                serde_json::json!({
                    "roleCredentials": {
                        "accessKeyId": credentials.access_key_id,
                        "secretAccessKey": credentials.secret_access_key,
                        "sessionToken": credentials.session_token,
                        "expiration": 4_070_908_800_000u64,
                    }
                })
                .to_string(),
            )
        });
        let url = server.url.clone();
        Sso { server, url }
    }

    /// The calls received, oldest first.
    pub fn calls(&self) -> Vec<Request> {
        self.server.requests()
    }
}
