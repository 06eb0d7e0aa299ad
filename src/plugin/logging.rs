//! Logging the way Terraform reads a plugin's stderr: one hclog JSON object per line, plus a panic
//! hook whose output Terraform recognises as a crash.
//!
//! Each line carries `@level`, `@message`, `@timestamp`, `@module`, every field of the event and
//! every field of the spans around it (so an RPC span's fields reach all lines logged under it).
//! Fields whose names look secret are written as [`REDACTED`], whatever their value; so are the
//! values of `"name": "value"` pairs with such names inside other fields, as in the debug dump
//! of an HTTP request's headers that the AWS SDK logs at TRACE (it does not mark every secret
//! header sensitive: IAM Identity Center's `x-amz-sso_bearer_token` shows in full).

use std::backtrace::Backtrace;
use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::panic::Location;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Number, Value};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// What a sensitive field's value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The level variables, most specific first; the first one set wins, even if it says `off`.
const LEVEL_VARS: [&str; 3] = ["TF_LOG_PROVIDER_LOOKOUTVISION", "TF_LOG_PROVIDER", "TF_LOG"];

/// go-plugin reads plugin stderr with a 64 KiB line buffer and prints longer lines raw, in pieces;
/// this is the longest line (without its newline) that still arrives as one structured entry.
const MAX_LINE_BYTES: usize = 64 * 1024 - 1;

/// Appended to a value shortened to fit [`MAX_LINE_BYTES`].
const TRUNCATION_MARK: &str = "...[truncated]";

/// Go layout `2006-01-02T15:04:05.000000Z07:00` for a UTC time; anything but exactly six
/// fractional digits makes Terraform print the whole line unparsed.
const TIMESTAMP_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Events from this crate are `@module = "provider"`; dependencies get `provider.<crate>`.
const OWN_CRATE: &str = env!("CARGO_CRATE_NAME");

/// Name fragments that mark a field as secret, matched case-insensitively.
const SENSITIVE_FRAGMENTS: [&str; 12] = [
    "secret",
    "token",
    "password",
    "passwd",
    "access_key",
    "accesskey",
    "private_key",
    "privatekey",
    "api_key",
    "apikey",
    "credential",
    "authorization",
];

/// Exit status after a panic, the same as a Go program's.
const PANIC_EXIT_CODE: i32 = 2;

/// Installs the hclog JSON layer on stderr as the global subscriber, at the level chosen by
/// `TF_LOG_PROVIDER_LOOKOUTVISION`, then `TF_LOG_PROVIDER`, then `TF_LOG`. When logging is off
/// nothing is installed, so log statements cost nothing. If a global subscriber already exists
/// (a second call, or an embedding program), that one stays.
pub fn init_from_env() {
    let Some(level) = select_level(|key| std::env::var(key).ok()) else {
        return;
    };
    let subscriber = tracing_subscriber::registry().with(HclogLayer::new(std::io::stderr(), level));
    // Failure only means a subscriber is already installed, which is the documented outcome.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Picks the log level from the variables in [`LEVEL_VARS`] (read through `lookup`) the way
/// Terraform does: the first non-empty one counts; `off` means no logging; an unknown value
/// (including `json`) means trace.
fn select_level(lookup: impl Fn(&str) -> Option<String>) -> Option<Level> {
    let value = LEVEL_VARS
        .iter()
        .filter_map(|key| lookup(key))
        .find(|value| !value.trim().is_empty())?;
    match value.trim().to_ascii_lowercase().as_str() {
        "off" => None,
        "error" => Some(Level::ERROR),
        "warn" => Some(Level::WARN),
        "info" => Some(Level::INFO),
        "debug" => Some(Level::DEBUG),
        _ => Some(Level::TRACE),
    }
}

/// Whether a field with this name may hold a secret (`secret_key`, `session_token`,
/// `access_key_id`, `password`, `Authorization`, ...); such values are never logged.
pub fn is_sensitive_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace(['-', '.', ' '], "_");
    SENSITIVE_FRAGMENTS
        .iter()
        .any(|fragment| name.contains(fragment))
}

/// Installs a panic hook that prints `panic: <message>`, the thread and location, and a
/// backtrace to stderr, then exits with status 2. Terraform treats output starting with
/// `panic: ` as a plugin crash and shows it; exiting mirrors Go, where a panic ends the process
/// (a panic inside a Tokio task would otherwise leave a half-working provider behind).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("Box<dyn Any>");
        let thread = std::thread::current();
        let report = panic_report(
            message,
            thread.name(),
            info.location(),
            &Backtrace::force_capture(),
        );
        let mut stderr = std::io::stderr().lock();
        // Nothing sensible is left to do if stderr is gone; the exit status still tells.
        let _ = stderr.write_all(report.as_bytes());
        let _ = stderr.flush();
        std::process::exit(PANIC_EXIT_CODE);
    }));
}

fn panic_report(
    message: &str,
    thread: Option<&str>,
    location: Option<&Location<'_>>,
    backtrace: &Backtrace,
) -> String {
    let thread = thread.unwrap_or("<unnamed>");
    let location = location.map_or_else(|| "an unknown location".to_owned(), ToString::to_string);
    format!("panic: {message}\n\nthread '{thread}' panicked at {location}\n\n{backtrace}\n")
}

/// A [`Layer`] writing hclog JSON lines to `W` (stderr in production, a buffer in tests).
///
/// Events below the level are skipped. Spans of this crate are always kept, whatever their
/// level, so that their fields (RPC name, resource type) reach warnings and errors too;
/// dependencies' spans follow the level like events.
pub struct HclogLayer<W> {
    writer: Mutex<W>,
    level: Level,
}

impl<W> fmt::Debug for HclogLayer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HclogLayer")
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> HclogLayer<W> {
    /// Logs events at `level` and more severe ones to `writer`, one line per write.
    pub fn new(writer: W, level: Level) -> Self {
        Self {
            writer: Mutex::new(writer),
            level,
        }
    }

    fn write_line(&self, mut line: Vec<u8>) {
        line.push(b'\n');
        // A poisoned lock only means another thread panicked mid-write; the writer is still fine.
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        // Errors are dropped: a logger has nowhere to report that logging failed.
        let _ = writer.write_all(&line);
        let _ = writer.flush();
    }
}

/// The recorded fields of one span, kept in the registry's span extensions.
struct SpanFields(Map<String, Value>);

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Write + Send + 'static,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        (metadata.is_span() && crate_of(metadata.target()) == OWN_CRATE)
            || *metadata.level() <= self.level
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut object = Map::new();
        let metadata = event.metadata();
        object.insert("@level".into(), level_name(*metadata.level()).into());
        object.insert(
            "@timestamp".into(),
            timestamp(OffsetDateTime::now_utc()).into(),
        );
        object.insert("@module".into(), module_of(metadata.target()).into());

        // Outer spans first, so inner spans and then the event itself win on a name clash.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    object.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let message = match fields.remove("message") {
            Some(Value::String(text)) => text,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        object.extend(fields);
        object.insert("@message".into(), message.into());

        self.write_line(encode_line(object));
    }
}

fn crate_of(target: &str) -> &str {
    target.split("::").next().unwrap_or(target)
}

fn module_of(target: &str) -> String {
    match crate_of(target) {
        OWN_CRATE => "provider".to_owned(),
        other => format!("provider.{other}"),
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

fn timestamp(now: OffsetDateTime) -> String {
    // Formatting fails only for years beyond four digits; Terraform then shows the line raw.
    now.format(TIMESTAMP_FORMAT).unwrap_or_default()
}

/// Serialises the object, shortening the longest string values until the line fits.
fn encode_line(object: Map<String, Value>) -> Vec<u8> {
    let mut value = Value::Object(object);
    loop {
        let line = value.to_string();
        let excess = line.len().saturating_sub(MAX_LINE_BYTES);
        if excess == 0 {
            return line.into_bytes();
        }
        let longest = value
            .as_object_mut()
            .into_iter()
            .flat_map(Map::values_mut)
            .filter_map(|value| match value {
                Value::String(text) if text.len() > TRUNCATION_MARK.len() => Some(text),
                _ => None,
            })
            .max_by_key(|text| text.len());
        let Some(text) = longest else {
            return too_many_fields(&value);
        };
        // Each raw byte removed shortens the JSON by at least one byte (escaping only lengthens),
        // so one cut per value is enough unless the value was shorter than the excess.
        let mut keep = text.len().saturating_sub(excess + TRUNCATION_MARK.len());
        while !text.is_char_boundary(keep) {
            keep -= 1;
        }
        text.truncate(keep);
        text.push_str(TRUNCATION_MARK);
    }
}

/// The line for an entry that is too long even with every string shortened (thousands of
/// fields): its `@` keys and a message saying so.
fn too_many_fields(value: &Value) -> Vec<u8> {
    let mut minimal: Map<String, Value> = value
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.starts_with('@'))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    minimal.insert(
        "@message".into(),
        "This log entry had too many fields to fit on one line, so it was left out.".into(),
    );
    Value::Object(minimal).to_string().into_bytes()
}

/// `text` with the value of every `"name": "value"` pair whose name looks secret replaced.
pub fn redact_pairs(text: &str) -> Cow<'_, str> {
    static PAIR: OnceLock<regex::Regex> = OnceLock::new();
    if !text.contains("\": \"") {
        return Cow::Borrowed(text);
    }
    PAIR.get_or_init(|| {
        regex::Regex::new(r#""([A-Za-z0-9_.-]+)": "(?:[^"\\]|\\.)*""#).expect("a valid pattern")
    })
    .replace_all(text, |pair: &regex::Captures<'_>| {
        if is_sensitive_field(&pair[1]) {
            format!("\"{}\": \"{REDACTED}\"", &pair[1])
        } else {
            pair[0].to_owned()
        }
    })
}

/// Records tracing fields as JSON values, replacing sensitive ones without formatting them.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, value: impl FnOnce() -> Value) {
        let name = field.name();
        let value = if is_sensitive_field(name) {
            Value::from(REDACTED)
        } else {
            value()
        };
        self.0.insert(name.to_owned(), value);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity; those are written as text.
        self.put(field, || {
            Number::from_f64(value).map_or_else(|| Value::from(value.to_string()), Value::Number)
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, || value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, || value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, || value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, || redact_pairs(value).into_owned().into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, || {
            let mut text = value.to_string();
            let mut source = value.source();
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text.into()
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, || {
            redact_pairs(&format!("{value:?}")).into_owned().into()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tracing_subscriber::registry;

    /// A writer the test can read back after the subscriber is gone.
    #[derive(Clone, Default)]
    struct SharedBuf(Arc<Mutex<Vec<u8>>>);

    impl Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl SharedBuf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }

        fn lines(&self) -> Vec<Map<String, Value>> {
            self.text()
                .lines()
                .map(|line| match serde_json::from_str(line) {
                    Ok(Value::Object(object)) => object,
                    other => panic!("not a JSON object: {other:?} from {line}"),
                })
                .collect()
        }
    }

    fn capture(level: Level, body: impl FnOnce()) -> SharedBuf {
        let buf = SharedBuf::default();
        let subscriber = registry().with(HclogLayer::new(buf.clone(), level));
        tracing::subscriber::with_default(subscriber, body);
        buf
    }

    #[test]
    fn line_has_hclog_keys_and_a_six_digit_timestamp() {
        let buf = capture(Level::TRACE, || {
            tracing::info!(
                answer = 42,
                ratio = 0.5,
                ok = true,
                name = "x",
                "Hello there."
            );
        });
        let lines = buf.lines();
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@level"], "info");
        assert_eq!(line["@message"], "Hello there.");
        assert_eq!(line["@module"], "provider");
        assert_eq!(line["answer"], 42);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["ok"], true);
        assert_eq!(line["name"], "x");
        assert!(!line.contains_key("message"));

        let stamp = line["@timestamp"].as_str().unwrap();
        let pattern =
            regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$")
                .unwrap();
        assert!(pattern.is_match(stamp), "{stamp}");
        assert!(buf.text().ends_with("}\n"));
    }

    #[test]
    fn timestamp_matches_the_go_layout_exactly() {
        let at = time::macros::datetime!(2026-11-21 10:00:00.123456789 UTC);
        assert_eq!(timestamp(at), "2026-11-21T10:00:00.123456Z");
        let whole = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(timestamp(whole), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn span_fields_reach_every_line_and_inner_values_win() {
        let buf = capture(Level::TRACE, || {
            let rpc = tracing::info_span!(
                "rpc",
                tf_rpc = "PlanResourceChange",
                tf_resource_type = tracing::field::Empty,
                shared = "span"
            );
            let _rpc = rpc.enter();
            rpc.record("tf_resource_type", "lookoutvision_project");
            let step = tracing::debug_span!("step", attempt = 2);
            let _step = step.enter();
            tracing::warn!(shared = "event", "Retrying.");
        });
        let line = &buf.lines()[0];
        assert_eq!(line["tf_rpc"], "PlanResourceChange");
        assert_eq!(line["tf_resource_type"], "lookoutvision_project");
        assert_eq!(line["attempt"], 2);
        assert_eq!(line["shared"], "event");
    }

    #[test]
    fn level_filters_events_but_keeps_own_spans() {
        let buf = capture(Level::WARN, || {
            let rpc = tracing::trace_span!("rpc", tf_rpc = "ApplyResourceChange");
            let _rpc = rpc.enter();
            tracing::info!("Not shown.");
            tracing::warn!("Shown.");
            let foreign = tracing::trace_span!(target: "h2::proto", "poll", stream_id = 1);
            let _foreign = foreign.enter();
            tracing::error!(target: "h2::proto", "Broken.");
        });
        let lines = buf.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["@message"], "Shown.");
        assert_eq!(lines[0]["tf_rpc"], "ApplyResourceChange");
        assert_eq!(lines[1]["@module"], "provider.h2");
        assert_eq!(lines[1]["@level"], "error");
        assert!(!lines[1].contains_key("stream_id"));
    }

    #[test]
    fn secret_headers_inside_debug_dumps_are_redacted() {
        let dump = r#"Request { headers: {"x-amz-sso_bearer_token": "aoa-secret", "user-agent": "aws-sdk-rust/1.7", "authorization": "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc", "x-amz-security-token": "with \"quote\" inside"} }"#;
        let shown = redact_pairs(dump);
        for secret in ["aoa-secret", "Signature=abc", "quote"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains(r#""user-agent": "aws-sdk-rust/1.7""#),
            "{shown}"
        );
        assert!(shown.contains(&format!(r#""x-amz-sso_bearer_token": "{REDACTED}""#)));
        assert!(matches!(redact_pairs("no pairs here"), Cow::Borrowed(_)));

        let buf = capture(Level::TRACE, || {
            tracing::trace!(request = %dump, "transmitting request");
        });
        assert!(!buf.text().contains("aoa-secret"), "{}", buf.text());
    }

    #[test]
    fn secrets_are_redacted_by_field_name() {
        for name in [
            "secret_key",
            "token",
            "access_key",
            "access_key_id",
            "password",
            "session_token",
            "SecretAccessKey",
            "x-amz-security-token",
            "Authorization",
        ] {
            assert!(is_sensitive_field(name), "{name}");
        }
        for name in ["region", "project_name", "message", "endpoint", "status"] {
            assert!(!is_sensitive_field(name), "{name}");
        }

        let buf = capture(Level::TRACE, || {
            let span = tracing::info_span!("rpc", session_token = "span-secret-1");
            let _span = span.enter();
            tracing::info!(
                secret_key = "event-secret-2",
                password = %"event-secret-3",
                access_key = ?"event-secret-4",
                region = "us-east-1",
                "Configured."
            );
        });
        let text = buf.text();
        for secret in [
            "span-secret-1",
            "event-secret-2",
            "event-secret-3",
            "event-secret-4",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let line = &buf.lines()[0];
        for key in ["session_token", "secret_key", "password", "access_key"] {
            assert_eq!(line[key], REDACTED, "{key}");
        }
        assert_eq!(line["region"], "us-east-1");
    }

    #[test]
    fn errors_show_their_chain_and_odd_numbers_stay_valid_json() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);

        let err = Outer(std::io::Error::other("inner"));
        let buf = capture(Level::TRACE, || {
            tracing::error!(
                error = &err as &(dyn std::error::Error + 'static),
                value = f64::NAN,
                "Failed."
            );
        });
        let line = &buf.lines()[0];
        assert_eq!(line["error"], "outer: inner");
        assert_eq!(line["value"], "NaN");
    }

    #[test]
    fn long_lines_are_shortened_to_valid_json() {
        let buf = capture(Level::TRACE, || {
            tracing::info!(
                body = %"\"".repeat(100_000),
                other = %"é".repeat(50_000),
                small = "kept",
                "{}",
                "m".repeat(70_000)
            );
        });
        let text = buf.text();
        let raw_line = text.strip_suffix('\n').unwrap();
        assert!(!raw_line.contains('\n'));
        assert!(raw_line.len() <= MAX_LINE_BYTES, "{}", raw_line.len());
        let line = &buf.lines()[0];
        assert_eq!(line["small"], "kept");
        assert_eq!(line["@level"], "info");
        assert!(line["body"].as_str().unwrap().ends_with(TRUNCATION_MARK));
    }

    #[test]
    fn too_many_fields_keeps_the_hclog_keys() {
        let mut object = Map::new();
        object.insert("@level".into(), "info".into());
        object.insert("@message".into(), "m".into());
        for i in 0..20_000 {
            object.insert(format!("field_{i}"), i.into());
        }
        let line: Map<String, Value> = serde_json::from_slice(&encode_line(object)).unwrap();
        assert_eq!(line["@level"], "info");
        assert_eq!(line.len(), 2);
    }

    #[test]
    fn level_selection_follows_terraform() {
        let pick = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            select_level(move |key| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
        };
        assert_eq!(pick(&[]), None);
        assert_eq!(pick(&[("TF_LOG", "")]), None);
        assert_eq!(pick(&[("TF_LOG", "OFF")]), None);
        assert_eq!(pick(&[("TF_LOG", "DEBUG")]), Some(Level::DEBUG));
        assert_eq!(pick(&[("TF_LOG", "Warn")]), Some(Level::WARN));
        assert_eq!(pick(&[("TF_LOG", "json")]), Some(Level::TRACE));
        assert_eq!(pick(&[("TF_LOG", "loud")]), Some(Level::TRACE));
        assert_eq!(
            pick(&[("TF_LOG", "trace"), ("TF_LOG_PROVIDER", "error")]),
            Some(Level::ERROR)
        );
        assert_eq!(
            pick(&[
                ("TF_LOG", "trace"),
                ("TF_LOG_PROVIDER", "error"),
                ("TF_LOG_PROVIDER_LOOKOUTVISION", "info"),
            ]),
            Some(Level::INFO)
        );
        assert_eq!(
            pick(&[
                ("TF_LOG", "trace"),
                ("TF_LOG_PROVIDER_LOOKOUTVISION", "off")
            ]),
            None
        );
    }

    #[test]
    fn panic_report_starts_like_a_go_panic() {
        let report = panic_report(
            "index out of range",
            Some("main"),
            Some(Location::caller()),
            &Backtrace::disabled(),
        );
        let first = report.lines().next().unwrap();
        assert_eq!(first, "panic: index out of range");
        assert!(
            report.contains("thread 'main' panicked at src/plugin/logging.rs:"),
            "{report}"
        );
    }

    /// The child half of `panic_hook_reports_like_go_and_exits`: it installs the hook and
    /// panics, which ends the test process, so it runs only in a child the parent starts.
    #[test]
    #[ignore = "run in a child process by panic_hook_reports_like_go_and_exits"]
    fn panic_hook_child() {
        if std::env::var_os(PANIC_CHILD_VAR).is_some() {
            install_panic_hook();
            panic!("boom {}", 7);
        }
    }

    const PANIC_CHILD_VAR: &str = "LOOKOUTVISION_PANIC_HOOK_CHILD";

    #[test]
    fn panic_hook_reports_like_go_and_exits() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "plugin::logging::tests::panic_hook_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(PANIC_CHILD_VAR, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(PANIC_EXIT_CODE), "{stderr}");
        assert_eq!(stderr.lines().next(), Some("panic: boom 7"), "{stderr}");
        assert!(stderr.contains("src/plugin/logging.rs"), "{stderr}");
    }
}
