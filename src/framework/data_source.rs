//! The data source model: what a data source declares (its schema, its checks) and how it reads
//! the object its configuration names. The protocol server does the rest, as it does for
//! [`Resource`](super::resource::Resource)s.

use async_trait::async_trait;

use super::diag::{Diagnostic, Diagnostics};
use super::resource::Context;
use super::schema::Schema;
use super::value::Value;

/// A data source: reads objects it does not manage.
///
/// A data source never waits for an object to settle and never changes it: it reports what the
/// service says now, status included.
#[async_trait]
pub trait DataSource<C>: Send + Sync {
    /// The full type name, e.g. `lookoutvision_project`.
    fn type_name(&self) -> &'static str;

    /// The schema: required and optional arguments select what to read; computed attributes
    /// report it.
    fn schema(&self) -> Schema;

    /// Checks across attributes that validators on single attributes cannot express.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads what `config` (wholly known) selects and returns the data source's value: `config`
    /// with its computed attributes filled in.
    async fn read(&self, ctx: &Context<'_, C>, config: &Value) -> Result<Value, Diagnostics>;
}

/// The error of a data source that found nothing: `what` names what it looked for (e.g.
/// `project "boards"`), `advice` says what to check.
pub fn not_found(type_name: &str, what: &str, advice: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{type_name}: no {what}"),
        format!(
            "The data source {type_name} looked for {what}, but the service has none. {advice}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_data_source_and_what_it_looked_for() {
        let diag = not_found(
            "x_thing",
            "thing \"a\"",
            "Check the name, or create it first.",
        );
        assert_eq!(diag.summary, "x_thing: no thing \"a\"");
        assert!(diag.detail.ends_with("Check the name, or create it first."));
    }
}
