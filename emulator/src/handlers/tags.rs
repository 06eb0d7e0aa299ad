//! TagResource, UntagResource and ListTagsForResource, on model ARNs, plus the reading of
//! tag lists that CreateModel shares.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::shapes::tag_list;
use crate::error::ApiError;
use crate::request::ApiRequest;
use crate::response::Reply;
use crate::service::Service;
use crate::state::MAX_TAGS;
use crate::validate::{Validator, TAG_ARN, TAG_KEY, TAG_VALUE};

/// One `Tag` as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    tags: Option<Vec<TagInput>>,
}

/// The prefix AWS reserves for its own tag keys, in any mix of cases.
const RESERVED_PREFIX: &str = "aws:";

/// Checks a `TagList` member called `field` and returns it as a map; a key given twice
/// keeps its last value.
pub fn read_tags(v: &mut Validator, field: &str, tags: &[TagInput]) -> BTreeMap<String, String> {
    v.length(field, tags.len(), 0, MAX_TAGS);
    tags.iter()
        .enumerate()
        .map(|(index, tag)| {
            // AWS names list members `tags.1.member.key`, counting from 1.
            let at = format!("{field}.{}.member", index + 1);
            let key = v.required(&format!("{at}.key"), tag.key.as_deref(), &TAG_KEY);
            if key
                .get(..RESERVED_PREFIX.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(RESERVED_PREFIX))
            {
                v.violation(
                    &format!("{at}.key"),
                    key,
                    format_args!(
                        "Member must not begin with the reserved prefix '{RESERVED_PREFIX}'"
                    ),
                );
            }
            let value = v.required(&format!("{at}.value"), tag.value.as_deref(), &TAG_VALUE);
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// The decoded ARN label, checked.
fn arn<'r>(v: &mut Validator, request: &'r ApiRequest) -> &'r str {
    v.string("resourceArn", request.label(0), &TAG_ARN)
}

/// `POST /2020-11-20/tags/{resourceArn}`
pub fn tag(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: TagResourceInput = request.json_body()?;
    let mut v = Validator::new();
    let arn = arn(&mut v, request);
    let tags = v
        .not_null("tags", input.tags.as_deref())
        .map(|tags| read_tags(&mut v, "tags", tags))
        .unwrap_or_default();
    v.finish()?;
    service.write(|state, _| {
        state.model_by_arn_mut(arn)?.tag(tags)?;
        Ok(Reply::ok(json!({})))
    })
}

/// `DELETE /2020-11-20/tags/{resourceArn}?tagKeys=..&tagKeys=..`
pub fn untag(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let arn = arn(&mut v, request);
    let keys = request.query_all("tagKeys");
    v.not_null("tagKeys", keys.first());
    v.length("tagKeys", keys.len(), 0, MAX_TAGS);
    let keys: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(index, key)| {
            v.string(&format!("tagKeys.{}.member", index + 1), key, &TAG_KEY)
                .to_owned()
        })
        .collect();
    v.finish()?;
    service.write(|state, _| {
        state.model_by_arn_mut(arn)?.untag(&keys);
        Ok(Reply::ok(json!({})))
    })
}

/// `GET /2020-11-20/tags/{resourceArn}`
pub fn list(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let arn = arn(&mut v, request);
    v.finish()?;
    service.read(|state| {
        let model = state.model_by_arn(arn)?;
        Ok(Reply::ok(json!({ "Tags": tag_list(&model.tags) })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: Option<&str>, value: Option<&str>) -> TagInput {
        TagInput {
            key: key.map(str::to_owned),
            value: value.map(str::to_owned),
        }
    }

    #[test]
    fn tag_lists_are_checked_member_by_member() {
        let mut v = Validator::new();
        let tags = read_tags(
            &mut v,
            "tags",
            &[
                tag(Some("a"), Some("1")),
                tag(Some("a"), Some("2")),
                tag(Some("b"), Some("")),
            ],
        );
        assert_eq!(v.finish(), Ok(()));
        assert_eq!(
            tags,
            BTreeMap::from([("a".into(), "2".into()), ("b".into(), String::new())])
        );

        let mut v = Validator::new();
        read_tags(
            &mut v,
            "tags",
            &[tag(None, Some("x")), tag(Some("bad*key"), None)],
        );
        let message = v.finish().unwrap_err().message().to_owned();
        assert!(
            message.starts_with("3 validation errors detected: Value null at 'tags.1.member.key'"),
            "{message}"
        );
        assert!(
            message.contains("Value 'bad*key' at 'tags.2.member.key'"),
            "{message}"
        );
        assert!(
            message.contains("Value null at 'tags.2.member.value'"),
            "{message}"
        );

        let mut v = Validator::new();
        let too_many: Vec<_> = (0..201)
            .map(|i| tag(Some(&format!("k{i}")), Some("")))
            .collect();
        read_tags(&mut v, "tags", &too_many);
        assert!(v.finish().unwrap_err().message().contains("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200"));
    }

    #[test]
    fn keys_with_the_reserved_prefix_are_refused_in_any_case() {
        for key in ["aws:team", "AWS:team", "Aws:", "aWs:x"] {
            let mut v = Validator::new();
            read_tags(
                &mut v,
                "tags",
                &[tag(Some("ok"), Some("1")), tag(Some(key), Some("v"))],
            );
            assert_eq!(
                v.finish().unwrap_err().message(),
                format!(
                    "1 validation error detected: Value '{key}' at 'tags.2.member.key' failed to \
                     satisfy constraint: Member must not begin with the reserved prefix 'aws:'"
                )
            );
        }
        for key in ["awsteam", "team:aws:", "aw:s"] {
            let mut v = Validator::new();
            read_tags(&mut v, "tags", &[tag(Some(key), Some("v"))]);
            assert_eq!(v.finish(), Ok(()), "{key}");
        }
    }
}
