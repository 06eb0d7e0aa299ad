//! List resources (protocol 6.10, `terraform query` in Terraform 1.14 and later): a resource
//! type's existing objects, found one by one and streamed to Terraform with their identities.
//!
//! A list pushes what it finds into a [`ListSink`] as soon as it has it; the sink stops taking
//! once the request's limit is reached or Terraform stops reading, and the list then stops too.
//! The framework turns each object into an event (its identity, and the object itself when
//! Terraform asks for it) and ends the stream when the list returns, fails, or is interrupted.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::diag::Diagnostics;
use super::resource::Context;
use super::schema::Schema;
use super::value::Value;

/// What a `list` block asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ListRequest {
    /// The `config` block (wholly known; attributes the block leaves out are null).
    pub config: Value,
    /// Whether Terraform wants each object's full state (`include_resource = true`), or only
    /// its identity.
    pub include_resource: bool,
}

/// One object a list found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The object as the resource's state: what a read after an import gives when the request
    /// includes resources, at least the attributes its identity comes from otherwise.
    pub state: Value,
    /// How Terraform shows the object, e.g. its name.
    pub display_name: String,
}

/// Where a list puts what it finds.
#[derive(Debug)]
pub struct ListSink {
    sender: mpsc::Sender<Found>,
    remaining: usize,
}

impl ListSink {
    /// A sink that takes at most `limit` objects, and the receiving end.
    pub fn new(limit: usize) -> (ListSink, mpsc::Receiver<Found>) {
        // One in flight: a list reads no further ahead of Terraform than one object.
        let (sender, receiver) = mpsc::channel(1);
        (
            ListSink {
                sender,
                remaining: limit,
            },
            receiver,
        )
    }

    /// How many more objects are wanted (a page size for the next List call).
    pub fn remaining(&self) -> usize {
        if self.sender.is_closed() {
            0
        } else {
            self.remaining
        }
    }

    /// Whether no more objects are wanted.
    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }

    /// Hands `found` on; `false` when no more objects are wanted (the limit is reached, or
    /// Terraform stopped reading), and the list should stop.
    pub async fn push(&mut self, found: Found) -> bool {
        if self.is_done() || self.sender.send(found).await.is_err() {
            return false;
        }
        self.remaining -= 1;
        self.remaining > 0
    }

    /// Completes when the receiving end is gone (Terraform stopped reading).
    pub fn abandoned(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let sender = self.sender.clone();
        async move { sender.closed().await }
    }
}

/// A list resource: the existing objects of one managed resource type (which must have an
/// identity), found from the `config` block of a `list` block.
#[async_trait]
pub trait ListResource<C>: Send + Sync {
    /// The resource type listed, e.g. `lookoutvision_model`.
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block.
    fn schema(&self) -> Schema;

    /// Checks across attributes that validators on single attributes cannot express.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Finds the objects `request` asks for and pushes each into `sink` as soon as it is found,
    /// stopping when `sink` says no more are wanted. Reading pages of at most
    /// [`ListSink::remaining`] objects keeps a limited list from reading more than it needs.
    async fn list(
        &self,
        ctx: &Context<'_, C>,
        request: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(name: &str) -> Found {
        Found {
            state: Value::object([("name", name.into())]),
            display_name: name.to_owned(),
        }
    }

    #[tokio::test]
    async fn the_sink_takes_up_to_the_limit() {
        let (mut sink, mut receiver) = ListSink::new(2);
        let reader = tokio::spawn(async move {
            let mut names = Vec::new();
            while let Some(found) = receiver.recv().await {
                names.push(found.display_name);
            }
            names
        });
        assert_eq!(sink.remaining(), 2);
        assert!(sink.push(found("a")).await, "one more is wanted");
        assert!(!sink.push(found("b")).await, "the limit is reached");
        assert!(!sink.push(found("c")).await, "nothing more is taken");
        assert!(sink.is_done());
        drop(sink);
        assert_eq!(reader.await.expect("the reader ends"), ["a", "b"]);
    }

    #[tokio::test]
    async fn the_sink_stops_when_nobody_reads() {
        let (mut sink, receiver) = ListSink::new(10);
        let abandoned = sink.abandoned();
        drop(receiver);
        abandoned.await;
        assert!(sink.is_done());
        assert!(!sink.push(found("a")).await);
    }

    #[test]
    fn a_limit_of_zero_wants_nothing() {
        let (sink, _receiver) = ListSink::new(0);
        assert!(sink.is_done());
    }
}
