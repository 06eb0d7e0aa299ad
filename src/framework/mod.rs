//! The provider framework: values, their wire codecs, schemas, validation, plans, and the
//! resource, data source and list resource models. It knows nothing about AWS or Lookout for Vision.

mod codec;
pub mod data_source;
pub mod diag;
pub mod docs;
pub mod identity;
pub mod json;
pub mod list;
pub mod moves;
pub mod msgpack;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod timeouts;
pub mod upgrade;
pub mod validate;
pub mod value;
