//! The one driver loop of the tests, benchmarks, explorer and fuzz harness.
//!
//! A `Flow` is driven by polling [`Flow::next_step`] and answering each
//! [`Step`]: a fetch with a response, a prompt with the person's answer, a
//! timer by firing it. Every checker used to write that loop itself; here
//! it is once, with a hard bound on the steps so that a machine that never
//! settles is reported ([`Stuck::Bound`]) instead of hanging the test.
//!
//! - [`drive`]: answer fetches and prompts from two closures, fire timers.
//! - [`Driver`] + [`Actor`]: the same loop with its bound and timer
//!   handling chosen, answering from any type.
//! - [`drain`], [`settle_outbox`]: hand out the queued requests only, for
//!   drivers that answer them later or in another order (the explorer, the
//!   fuzz harness, tests of parallel fetches).
//!
//! The CLI's real drivers (`src/driver.rs`, `src/probe.rs`) answer from
//! scenario files and over HTTP and keep their own loops.

use fedcm_model::machine::fetch::{FetchRequest, FetchResult};
use fedcm_model::machine::outcome::Outcome;
use fedcm_model::machine::prompt::{ActionError, Prompt, UserAction};
use fedcm_model::machine::{Flow, Step, Timer};
use std::fmt;
use std::sync::Arc;

/// Steps (fetches answered, prompts answered, timers fired) a [`Driver`]
/// takes by default before it gives up: far more than any `get()` of the
/// tests needs, few enough to fail fast.
pub const MAX_STEPS: usize = 100_000;

/// Requests [`drain`] hands out in one call before it stops: a machine that
/// queues more is broken, and is treated as idle rather than looped on.
pub const MAX_OUTBOX: usize = 1 << 20;

/// What answers a flow's steps.
pub trait Actor {
    /// The response to a request the flow sends.
    fn respond(&mut self, request: &FetchRequest) -> FetchResult;
    /// The person's answer to a prompt; `flow` is the flow asking, for
    /// actors that check it while it waits.
    fn answer(&mut self, prompt: &Prompt, flow: &Flow) -> UserAction;
}

/// An [`Actor`] from two closures: one answers requests, one prompts.
pub struct Closures<R, A> {
    /// Answers requests.
    pub respond: R,
    /// Answers prompts.
    pub answer: A,
}

impl<R, A> Actor for Closures<R, A>
where
    R: FnMut(&FetchRequest) -> FetchResult,
    A: FnMut(&Prompt) -> UserAction,
{
    fn respond(&mut self, request: &FetchRequest) -> FetchResult {
        (self.respond)(request)
    }

    fn answer(&mut self, prompt: &Prompt, _flow: &Flow) -> UserAction {
        (self.answer)(prompt)
    }
}

/// Why a drive ended without an outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Stuck {
    /// The machine waits for a response, but every request was answered
    /// when it was handed out: it waits for nothing.
    Idle,
    /// The flow refused the person's answer.
    Refused {
        /// The prompt answered.
        prompt: Box<Prompt>,
        /// The answer given.
        action: UserAction,
        /// Why it was refused.
        error: ActionError,
    },
    /// The flow started a timer and the driver fires none
    /// ([`Driver::without_timers`]).
    Waiting(Timer),
    /// The step bound was reached before the flow settled.
    Bound {
        /// The bound.
        steps: usize,
        /// The step the flow was at.
        last: Box<Step>,
    },
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stuck::Idle => write!(f, "the machine waits, but no request is outstanding"),
            Stuck::Refused { prompt, action, error } => {
                write!(f, "{} refused the answer {action:?}: {error}", prompt.name())
            }
            Stuck::Waiting(timer) => write!(f, "the machine waits for a timer ({timer:?}) and timers are not fired"),
            Stuck::Bound { steps, last } => write!(f, "not settled after {steps} steps; at {last:?}"),
        }
    }
}

impl std::error::Error for Stuck {}

/// The driver loop: each request answered as it is handed out, each prompt
/// as it is shown, each timer fired (unless [`Driver::without_timers`]),
/// until the flow settles or [`Driver::max_steps`] steps were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Driver {
    max_steps: usize,
    timers: bool,
}

impl Default for Driver {
    fn default() -> Self {
        Driver::new()
    }
}

impl Driver {
    /// [`MAX_STEPS`] steps, timers fired.
    pub const fn new() -> Driver {
        Driver { max_steps: MAX_STEPS, timers: true }
    }

    /// At most `steps` steps.
    pub const fn max_steps(self, steps: usize) -> Driver {
        Driver { max_steps: steps, ..self }
    }

    /// A timer is an error ([`Stuck::Waiting`]), for runs that must settle
    /// without the privacy delay.
    pub const fn without_timers(self) -> Driver {
        Driver { timers: false, ..self }
    }

    /// Drives `flow` until it settles; its outcome, or why it did not.
    pub fn run(&self, flow: &mut Flow, actor: &mut impl Actor) -> Result<Outcome, Stuck> {
        for _ in 0..self.max_steps {
            match flow.next_step() {
                Step::Fetch(request) => {
                    let result = actor.respond(&request);
                    flow.on_response(request.id, result);
                }
                Step::Ask(prompt) => {
                    let action = actor.answer(&prompt, flow);
                    if let Err(error) = flow.on_user(action.clone()) {
                        return Err(Stuck::Refused { prompt: Box::new(Prompt::clone(&prompt)), action, error });
                    }
                }
                Step::Wait(timer) if self.timers => flow.on_timer(timer.id),
                Step::Wait(timer) => return Err(Stuck::Waiting(timer)),
                Step::Idle => return Err(Stuck::Idle),
                Step::Done(outcome) => return Ok(outcome),
            }
        }
        match flow.next_step() {
            Step::Done(outcome) => Ok(outcome),
            last => Err(Stuck::Bound { steps: self.max_steps, last: Box::new(last) }),
        }
    }
}

/// Drives `flow` to its outcome with [`Driver::new`]: `respond` answers
/// every request, `answer` every prompt, timers fire.
pub fn drive(
    flow: &mut Flow,
    respond: impl FnMut(&FetchRequest) -> FetchResult,
    answer: impl FnMut(&Prompt) -> UserAction,
) -> Result<Outcome, Stuck> {
    Driver::new().run(flow, &mut Closures { respond, answer })
}

/// Hands every queued request to `sink` and returns the first other step:
/// what the flow waits for once its requests are out. At most
/// [`MAX_OUTBOX`] requests; past that, [`Step::Idle`].
#[inline]
pub fn drain(flow: &mut Flow, mut sink: impl FnMut(Arc<FetchRequest>)) -> Step {
    for _ in 0..MAX_OUTBOX {
        match flow.next_step() {
            Step::Fetch(request) => sink(request),
            other => return other,
        }
    }
    Step::Idle
}

/// [`drain`], keeping the requests: those handed out, in order, and the
/// step after them.
pub fn collect(flow: &mut Flow) -> (Vec<Arc<FetchRequest>>, Step) {
    let mut out = Vec::new();
    let step = drain(flow, |r| out.push(r));
    (out, step)
}

/// [`drain`], dropping the requests (the caller answers them by the ids in
/// [`Flow::pending_requests`]).
#[inline]
pub fn settle_outbox(flow: &mut Flow) -> Step {
    drain(flow, drop)
}

/// The answer that ends a prompt soonest: dismiss an error dialog, cancel
/// anything else.
pub fn closing_answer(prompt: &Prompt) -> UserAction {
    match prompt {
        Prompt::ErrorDialog { .. } => UserAction::Dismiss,
        _ => UserAction::Cancel,
    }
}
