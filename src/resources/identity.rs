//! What the resources' identities share: the `account_id` and `region` attributes that the AWS
//! providers' identities have beside each resource's own, optional for import.
//!
//! Both come from the object's ARN, the service's own word on where the object lives. This
//! provider never asks STS for the account (see `skip_requesting_account_id`), so an object
//! without an ARN yet (a plan, or an import before its first read) takes the provider's
//! region and leaves the account to what Terraform already holds; a dataset, for which the
//! service reports no ARN at all, always does.

use crate::aws::Client;
use crate::framework::identity::{IdentityAttribute, IdentitySchema};
use crate::framework::value::Value;

/// The AWS account the object belongs to.
pub const ACCOUNT_ID: &str = "account_id";
/// The AWS region the object is in.
pub const REGION: &str = "region";

/// An identity schema of `own` attributes, then `account_id` and `region`.
pub fn schema(own: impl IntoIterator<Item = IdentityAttribute>, account: &str) -> IdentitySchema {
    IdentitySchema::new(own.into_iter().chain([
        IdentityAttribute::optional(ACCOUNT_ID, account),
        IdentityAttribute::optional(
            REGION,
            "The AWS region of the object, as its ARN says, or the provider's region where there \
             is no ARN. An import by identity must give the provider's region.",
        ),
    ]))
}

/// The description of `account_id` for a resource whose state holds its ARN.
pub const ACCOUNT_FROM_ARN: &str = "The AWS account of the object, as its ARN says.";

/// The `account_id` and `region` of an object whose ARN is `arn` (a string, unknown in a plan,
/// or null), reached through `client`.
pub fn location(arn: &Value, client: Option<&Client>) -> [(&'static str, Value); 2] {
    let provider_region = || Value::opt_string(client.and_then(Client::region));
    match arn {
        Value::String(arn) => match arn_location(arn) {
            Some((region, account)) => [
                (ACCOUNT_ID, Value::string(account)),
                (REGION, Value::string(region)),
            ],
            None => [(ACCOUNT_ID, Value::Null), (REGION, provider_region())],
        },
        Value::Unknown => [(ACCOUNT_ID, Value::Unknown), (REGION, provider_region())],
        _ => [(ACCOUNT_ID, Value::Null), (REGION, provider_region())],
    }
}

/// The region and account of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
fn arn_location(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, _service) = (parts.next()?, parts.next()?, parts.next()?);
    let (region, account, _resource) = (parts.next()?, parts.next()?, parts.next()?);
    (prefix == "arn" && !region.is_empty() && !account.is_empty()).then_some((region, account))
}

/// The string an identity attribute holds; the framework has checked that an import gives the
/// attributes required for import.
pub fn given<'a>(identity: &'a Value, name: &str) -> &'a str {
    identity.get(name).as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_comes_from_the_arn() {
        let arn = Value::string("arn:aws:lookoutvision:eu-west-1:123456789012:model/boards/1");
        assert_eq!(
            location(&arn, None),
            [
                (ACCOUNT_ID, Value::string("123456789012")),
                (REGION, Value::string("eu-west-1"))
            ]
        );
        assert_eq!(
            location(&Value::Unknown, None),
            [(ACCOUNT_ID, Value::Unknown), (REGION, Value::Null)]
        );
        assert_eq!(
            location(&Value::string("not an arn"), None),
            [(ACCOUNT_ID, Value::Null), (REGION, Value::Null)]
        );
    }

    #[test]
    fn the_schema_ends_with_the_optional_location() {
        let schema = schema([IdentityAttribute::required("name", "The name.")], "x");
        let names: Vec<(&str, bool)> = schema
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.required_for_import))
            .collect();
        assert_eq!(
            names,
            [("name", true), (ACCOUNT_ID, false), (REGION, false)]
        );
    }
}
