//! The requests a call has sent and not yet had answered, shared by
//! [`super::Flow`] and [`super::DisconnectFlow`]: ids, the queue a driver
//! polls, and the machine's own record of what is in flight, so the
//! machine never reads its trace back to find a request.

use super::fetch::{FetchRequest, Pending, RequestId};
use super::TimerId;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Hands out request and timer ids from one counter, so ids in a trace
/// are unique across both.
#[derive(Debug, Clone, Default)]
pub(super) struct Ids(u64);

impl Ids {
    pub(super) fn request(&mut self) -> RequestId {
        self.0 += 1;
        RequestId(self.0)
    }

    pub(super) fn timer(&mut self) -> TimerId {
        self.0 += 1;
        TimerId(self.0)
    }
}

/// Requests to hand out, and requests handed out and not yet answered.
#[derive(Debug, Clone, Default)]
pub(super) struct Outbox {
    /// Requests to hand out, in order; each is in `inflight` too.
    queue: VecDeque<Arc<FetchRequest>>,
    /// Requests sent (or queued) and not yet answered.
    inflight: BTreeMap<RequestId, Pending>,
    pub(super) ids: Ids,
}

impl Outbox {
    /// Queues a request; the caller writes it to the trace.
    pub(super) fn push(&mut self, request: Arc<FetchRequest>) {
        self.inflight.insert(request.id, Pending::of(&request));
        self.queue.push_back(request);
    }

    /// The next request to hand out.
    pub(super) fn pop(&mut self) -> Option<Arc<FetchRequest>> {
        self.queue.pop_front()
    }

    /// The request an answer is for, if it is one this call sent and has
    /// not had answered; it is in flight no longer.
    pub(super) fn answer(&mut self, id: RequestId) -> Option<Pending> {
        self.inflight.remove(&id)
    }

    /// The call settled: nothing more is handed out. Requests already out
    /// stay known, so their late answers are recorded as ignored.
    pub(super) fn close(&mut self) {
        self.queue.clear();
    }

    /// Requests handed out (or queued) and not yet answered.
    pub(super) fn pending(&self) -> impl Iterator<Item = &Pending> {
        self.inflight.values()
    }

    /// What a model checker must see of the outbox: what is queued and what
    /// is in flight. The id counter is left out: two calls that differ only
    /// in how many ids they used have the same future.
    pub(super) fn key(&self) -> impl std::fmt::Debug + std::hash::Hash + '_ {
        (&self.inflight, &self.queue)
    }
}
