//! The spec's safety and privacy properties as functions over a trace.
//!
//! Each invariant reads only the trace (whose first event records the
//! inputs), so it checks runs from any driver: scenario files, property
//! tests, the model checker, fuzzers, the HTTP prober. A property that does
//! not apply to a run (say, a disconnect trace) holds vacuously. A checker
//! reports a violation; it never panics, whatever the trace holds.

use fedcm_model::machine::browser::LoginStatus;
use fedcm_model::machine::fetch::{Credentials, FetchKind, FetchRequest, Method, Redirect, RequestId, RequestMode};
use fedcm_model::machine::outcome::{ErrorName, Outcome};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::state::State;
use fedcm_model::options::{Mediation, Mode};
use fedcm_model::trace::{EntryKind, Event, ResponseResult, Start, Trace};
use fedcm_model::{is_potentially_trustworthy, registrable_domain, ConfigUrl};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use url::Url;

mod decisions;
mod dialog;
mod outcome;
mod requests;
mod session;
mod user_info;

use decisions::*;
use dialog::*;
use outcome::*;
use requests::*;
pub use session::{check_session, SessionInvariant, SESSION_ALL};
use user_info::*;

/// One property.
pub struct Invariant {
    /// Stable identifier (`I1`..., `T1`...). Numbers are never reused; the
    /// gaps (`I11`, `I19`, `I28`) are properties this model does not check.
    pub id: &'static str,
    /// What must hold, in a phrase.
    pub name: &'static str,
    /// The spec section it comes from.
    pub anchor: &'static str,
    /// Checks a whole trace; `Err` says what broke.
    pub check: fn(&Trace) -> Result<(), String>,
}

/// A property that failed on a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's [`Invariant::id`].
    pub id: &'static str,
    /// The invariant's [`Invariant::name`].
    pub name: &'static str,
    /// The invariant's [`Invariant::anchor`].
    pub anchor: &'static str,
    /// What broke, with the events involved.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} (spec #{}): {}", self.id, self.name, self.anchor, self.message)
    }
}

impl std::error::Error for Violation {}

/// Checks every invariant.
pub fn check_all(trace: &Trace) -> Vec<Violation> {
    ALL.iter()
        .filter_map(|inv| {
            (inv.check)(trace).err().map(|message| Violation {
                id: inv.id,
                name: inv.name,
                anchor: inv.anchor,
                message,
            })
        })
        .collect()
}

/// Every invariant the model checks, in id order.
pub const ALL: &[Invariant] = &[
    Invariant {
        id: "I1",
        name: "no-assertion-without-permission",
        anchor: "create-identity-credential",
        check: no_assertion_without_permission,
    },
    Invariant {
        id: "I2",
        name: "at-most-one-assertion",
        anchor: "create-identity-credential",
        check: at_most_one_assertion,
    },
    Invariant {
        id: "I3",
        name: "auto-reauthn-respects-mediation",
        anchor: "create-identity-credential",
        check: auto_reauthn_respects_mediation,
    },
    Invariant {
        id: "I4",
        name: "auto-reauthn-only-for-a-connected-account",
        anchor: "browser-connected-accounts-set",
        check: auto_reauthn_only_connected,
    },
    Invariant { id: "I5", name: "silent-is-silent", anchor: "create-identity-credential", check: silent_is_silent },
    Invariant { id: "I6", name: "same-origin-endpoints", anchor: "helper-algorithms", check: same_origin_endpoints },
    Invariant { id: "I7", name: "fixed-well-known-location", anchor: "fetch-config-file", check: fixed_well_known },
    Invariant {
        id: "I8",
        name: "uncredentialed-manifests-pictures-metadata",
        anchor: "idp-api",
        check: uncredentialed_metadata,
    },
    Invariant {
        id: "I9",
        name: "accounts-fetch-reveals-nothing-about-the-rp",
        anchor: "fetch-accounts",
        check: accounts_reveal_nothing,
    },
    Invariant { id: "I10", name: "fetch-ordering", anchor: "fetch-config-file", check: fetch_ordering },
    Invariant {
        id: "I12",
        name: "logged-out-passive-means-no-accounts-fetch",
        anchor: "create-identity-credential",
        check: logged_out_no_accounts,
    },
    Invariant {
        id: "I13",
        name: "accounts-response-updates-login-status",
        anchor: "create-identity-credential",
        check: login_status_updates,
    },
    Invariant {
        id: "I14",
        name: "no-silent-tracking-after-a-credentialed-fetch",
        anchor: "create-identity-credential",
        check: no_silent_tracking,
    },
    Invariant {
        id: "I15",
        name: "token-only-from-the-assertion",
        anchor: "fetch-identity-assertion",
        check: token_only_from_assertion,
    },
    Invariant {
        id: "I16",
        name: "credential-fields",
        anchor: "browser-api-identity-credential-interface",
        check: credential_fields,
    },
    Invariant {
        id: "I17",
        name: "assertion-body-agrees-with-the-credential",
        anchor: "fetch-identity-assertion",
        check: assertion_body_agrees,
    },
    Invariant {
        id: "I18",
        name: "only-shown-accounts-are-chosen",
        anchor: "create-identity-credential",
        check: only_shown_accounts,
    },
    Invariant { id: "I20", name: "no-redirects-on-pinned-endpoints", anchor: "network-requests", check: no_redirects },
    Invariant { id: "I21", name: "fedcm-destination", anchor: "unauthorized-fetching", check: fedcm_destination },
    Invariant {
        id: "I22",
        name: "assertion-and-disconnect-are-cors-with-the-rp-origin",
        anchor: "fetch-identity-assertion",
        check: cors_posts,
    },
    Invariant {
        id: "I23",
        name: "error-url-confined-to-the-idp-site",
        anchor: "fetch-identity-assertion",
        check: error_url_confined,
    },
    Invariant {
        id: "I24",
        name: "error-dialog-before-identity-credential-error",
        anchor: "create-identity-credential",
        check: error_ui_first,
    },
    Invariant {
        id: "I25",
        name: "connections-only-on-success",
        anchor: "fetch-identity-assertion",
        check: connections_on_success,
    },
    Invariant {
        id: "I26",
        name: "disconnect-is-bounded",
        anchor: "browser-api-identity-credential-disconnect",
        check: disconnect_bounded,
    },
    Invariant {
        id: "I27",
        name: "active-mode-needs-a-gesture-and-one-provider",
        anchor: "create-identity-credential",
        check: active_gate,
    },
    Invariant {
        id: "I29",
        name: "privacy-delay-matches-the-failure-kind",
        anchor: "browser-api-rp-sign-in",
        check: privacy_delay,
    },
    Invariant {
        id: "I30",
        name: "duplicate-idp-origins-are-rejected",
        anchor: "create-identity-credential",
        check: duplicates_rejected,
    },
    Invariant {
        id: "I31",
        name: "login-popup-goes-only-to-login-url",
        anchor: "helper-algorithms",
        check: login_popup_url,
    },
    Invariant {
        id: "I32",
        name: "passive-mode-asks-only-known-idps",
        anchor: "create-identity-credential",
        check: passive_asks_only_known_idps,
    },
    Invariant {
        id: "I33",
        name: "user-info-sends-no-rp-identity",
        anchor: "dom-identityprovider-getuserinfo",
        check: user_info_sends_no_rp_identity,
    },
    Invariant {
        id: "I34",
        name: "user-info-answers-only-a-connected-rp",
        anchor: "dom-identityprovider-getuserinfo",
        check: user_info_answers_only_connected_rp,
    },
    Invariant {
        id: "I35",
        name: "a-frame-the-policy-refuses-sends-nothing",
        anchor: "permissions-policy-integration",
        check: policy_refused_sends_nothing,
    },
    Invariant {
        id: "I36",
        name: "no-config-fetch-the-csp-blocks",
        anchor: "fetch-config-file",
        check: no_fetch_csp_blocks,
    },
    Invariant {
        id: "I37",
        name: "dialog-names-the-top-site",
        anchor: "create-identity-credential",
        check: dialog_names_the_top_site,
    },
    Invariant {
        id: "I38",
        name: "brand-colours-readable",
        anchor: "idp-api-config-file",
        check: brand_colours_readable,
    },
    Invariant {
        id: "I39",
        name: "accounts-in-display-order",
        anchor: "create-identity-credential",
        check: accounts_in_display_order,
    },
    Invariant { id: "T1", name: "exactly-one-outcome-last", anchor: "browser-api-rp-sign-in", check: one_outcome },
    Invariant {
        id: "T2",
        name: "rejection-reveals-nothing-the-spec-hides",
        anchor: "privacy-principals",
        check: rejection_reveals_nothing,
    },
    Invariant {
        id: "T3",
        name: "nothing-sent-after-settling",
        anchor: "browser-api-rp-sign-in",
        check: nothing_after_settle,
    },
];

// ---- helpers ----

pub(super) fn requests(t: &Trace) -> impl Iterator<Item = (usize, &FetchRequest)> {
    t.events.iter().enumerate().filter_map(|(i, e)| match e {
        Event::Request { request } => Some((i, request.as_ref())),
        _ => None,
    })
}

pub(super) fn settled_at(t: &Trace) -> Option<(usize, &Outcome)> {
    t.events.iter().enumerate().find_map(|(i, e)| match e {
        Event::Settled { outcome } => Some((i, outcome)),
        _ => None,
    })
}

/// The inputs of a `get()` run whose options were valid.
pub(super) fn start(t: &Trace) -> Option<(&Start, &fedcm_model::options::RequestOptions)> {
    let s = t.start()?;
    Some((s, s.options.as_ref()?))
}

/// The RP's request for `provider`, an index the trace gave: a trace that
/// names a provider the options do not have is a violation, not a panic.
pub(super) fn requested(
    o: &fedcm_model::options::RequestOptions,
    provider: usize,
) -> Result<&fedcm_model::options::ProviderRequest, String> {
    o.providers
        .get(provider)
        .ok_or_else(|| format!("the trace names provider {provider}, but the options have {}", o.providers.len()))
}

pub(super) fn config_url(t: &Trace, provider: usize) -> Option<&ConfigUrl> {
    let (_, o) = start(t)?;
    o.providers.get(provider)?.config_url.as_ref().ok()
}

pub(super) fn idp_origin(t: &Trace, provider: usize) -> Option<&str> {
    config_url(t, provider).map(ConfigUrl::origin_serialized)
}

/// The events before `at` (all of them when `at` is past the end). The
/// checks take indices from the trace itself; a slice that cannot be taken
/// must not panic the checker.
pub(super) fn before(t: &Trace, at: usize) -> &[Event] {
    t.events.get(..at).unwrap_or(&t.events)
}

/// The events from `at` on (none when `at` is past the end).
pub(super) fn from(t: &Trace, at: usize) -> &[Event] {
    t.events.get(at..).unwrap_or_default()
}

pub(super) fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}
