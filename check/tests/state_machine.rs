//! Reference-model state-machine test (proptest-state-machine).
//!
//! The reference is a `Flow` advanced through its internal view (the
//! pending requests, as the model checker does). The system under test is
//! a second `Flow` driven only through the public polling API, as a real
//! driver would: it learns requests from `Step::Fetch`, answers them by the
//! id it was handed, and answers prompts from `Step::Ask`. After every
//! transition: the two traces are identical (no request lost, duplicated or
//! answered twice through the public API), the requests the driver holds
//! are exactly the reference's pending requests, and every invariant holds.

use fedcm_check::drive::drain;
use fedcm_check::explore::{self, Move, Start};
use fedcm_check::invariants;
use fedcm_model::machine::fetch::{FetchRequest, RequestId};
use fedcm_model::machine::{Flow, Step};
use fedcm_model::Profile;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
struct Reference {
    start: usize,
    flow: Flow,
}

fn starts() -> Vec<Start> {
    explore::starts(&Profile::ALL)
}

impl ReferenceStateMachine for Reference {
    type State = Reference;
    type Transition = Move;

    fn init_state() -> BoxedStrategy<Self::State> {
        let n = starts().len();
        (0..n).prop_map(|start| Reference { start, flow: starts()[start].flow() }).boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        let moves = explore::moves(&mut state.flow.clone());
        if moves.is_empty() {
            Just(Move::Abort).boxed()
        } else {
            proptest::sample::select(moves).boxed()
        }
    }

    fn apply(mut state: Self::State, transition: &Self::Transition) -> Self::State {
        explore::apply(&mut state.flow, transition);
        state
    }

    fn preconditions(state: &Self::State, transition: &Self::Transition) -> bool {
        let mut flow = state.flow.clone();
        let moves = explore::moves(&mut flow);
        moves.is_empty() && *transition == Move::Abort || moves.contains(transition)
    }
}

/// A driver that only sees the public API.
struct Driver {
    flow: Flow,
    handed_out: BTreeMap<RequestId, std::sync::Arc<FetchRequest>>,
    last: Step,
}

impl Driver {
    fn poll(&mut self) {
        let handed_out = &mut self.handed_out;
        self.last = drain(&mut self.flow, |r| {
            assert!(handed_out.insert(r.id, r).is_none(), "a request was handed out twice");
        });
    }
}

struct PublicApi;

impl StateMachineTest for PublicApi {
    type SystemUnderTest = Driver;
    type Reference = Reference;

    fn init_test(reference: &Reference) -> Driver {
        let mut d = Driver { flow: starts()[reference.start].flow(), handed_out: BTreeMap::new(), last: Step::Idle };
        d.poll();
        d
    }

    fn apply(mut d: Driver, _reference: &Reference, transition: Move) -> Driver {
        d.poll();
        match &transition {
            Move::Respond { kind, provider, url, variant } => {
                let id = d
                    .handed_out
                    .values()
                    .find(|r| r.kind == *kind && r.provider == *provider && r.url.as_str() == url)
                    .map(|r| r.id)
                    .expect("the reference's pending request was handed out");
                let request = d.handed_out.remove(&id).unwrap();
                let (_, result) =
                    explore::responses(request.kind, &request.url).into_iter().find(|(v, _)| v == variant).unwrap();
                d.flow.on_response(id, result);
            }
            Move::User { action } => {
                assert!(matches!(d.last, Step::Ask(_)), "the reference answers a prompt the driver was not shown");
                let _ = d.flow.on_user(action.clone());
            }
            Move::Timer => {
                let Step::Wait(t) = &d.last else { panic!("a timer the driver was not given") };
                d.flow.on_timer(t.id);
            }
            Move::Abort => d.flow.abort(),
        }
        d.poll();
        if matches!(d.last, Step::Done(_)) {
            d.handed_out.clear();
        }
        d
    }

    fn check_invariants(d: &Driver, reference: &Reference) {
        assert_eq!(d.flow.trace(), reference.flow.trace(), "public-API run and reference diverge");
        if !matches!(d.last, Step::Done(_)) {
            let pending: Vec<RequestId> = reference.flow.pending_requests().map(|r| r.id).collect();
            let held: Vec<RequestId> = d.handed_out.keys().copied().collect();
            assert_eq!(held, pending, "the driver holds other requests than the machine waits for");
        }
        let violations = invariants::check_all(d.flow.trace());
        assert!(violations.is_empty(), "{violations:?}");
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/state_machine.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn public_api_matches_the_reference(sequential 1..16 => PublicApi);
}
