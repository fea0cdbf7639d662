//! The structure-aware targets (`flow`, `invariants`): a small description
//! of a world, decoded from the fuzzer's bytes with `arbitrary`, drives one
//! `navigator.credentials.get()` to its end.
//!
//! - Request options: one of [`options_templates`] with up to 8 mutations
//!   ([`Mutation`]: a node of the JSON tree replaced, emptied, wrapped,
//!   stringified, given a member, or a child removed or repeated).
//! - The browser: login status per IdP, connected accounts, "requires user
//!   mediation", transient activation, a framed RP.
//! - Three IdPs (two cross-site, one same-site with the RP, so it has no
//!   well-known fetch), each with responses per document, served in turn
//!   (the last repeats): mostly a template document with mutations, else
//!   raw bytes or a nasty body; a status, a content type, CORS headers, a
//!   redirect target or a network error, each chosen by one byte where
//!   the low values mean "well-formed".
//! - A script: which pending fetch to answer next, which answer
//!   (`explore::answers(prompt)[i % len]`), timers, stray responses, aborts.
//!
//! After the script the driver closes every prompt, answers every fetch
//! and fires every timer; the flow must then be settled within
//! [`SETTLE_STEPS`], and settled once. Zero bytes decode to the first
//! template everywhere, so an empty input is an ordinary sign-in.
//!
//! The `Arbitrary` derives come with this crate's `arbitrary` feature, which
//! the fuzz crate turns on; `tests/fuzz_regressions.rs` builds without it.
//! Worlds serialize to JSON: `FEDCM_FUZZ_WORLD_OUT=FILE cargo fuzz run flow
//! ARTIFACT` writes a crash's world, the form
//! `tests/fuzz-crashes/{flow,invariants}/` keeps.

use crate::drive::{closing_answer, drain};
use crate::explore;
use crate::fixtures::{IDPS, RP};
use crate::invariants;
use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, NetworkError, RequestId};
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::{Flow, Rp, Step};
use fedcm_model::HttpResponse;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use url::Url;

mod build;
mod run;
mod scenario;
mod session;
mod tables;

pub use build::MAX_BODY;
pub use run::{run, run_checked, Run};
pub use scenario::scenario;
pub use session::{run_session, run_session_checked, run_world, run_world_checked, Extra, ExtraCall, MAX_EXTRA};
use tables::cached_options_templates;
pub use tables::{options_templates, templates, CONTENT_TYPES, CORS, FLOATS, KEYS, LOCATIONS, STATUSES, STRINGS};

const ACCOUNT_IDS: [&str; 4] = ["1", "2", "3", ""];

/// Steps the script may take (one fuzzer move each).
pub const MAX_SCRIPT: usize = 256;
/// Steps allowed after the script for the flow to settle.
pub const SETTLE_STEPS: usize = 512;
/// Mutations applied per document.
const MAX_MUTATIONS: usize = 8;
/// Responses kept per URL.
const MAX_RESPONSES: usize = 4;

/// One fuzz input of the structure-aware targets: everything a `get()`
/// meets, as indices and small numbers the fuzzer mutates well.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    /// The Chromium profile (else the spec's).
    pub chromium: bool,
    /// The earlier generation of that profile: `spec-2024` or `chromium-142`.
    pub older: bool,
    /// The `firefox` profile (over the two members above).
    pub firefox: bool,
    /// The RP's options.
    pub options: Doc,
    /// The browser before the call.
    pub browser: Browser,
    /// What each of [`IDPS`] serves.
    pub idps: [Idp; 3],
    /// More calls and signals on the same page, each made at a point of
    /// the script (a session; empty: the world's one call).
    pub session: Vec<Extra>,
    /// What happens, in order (at most [`MAX_SCRIPT`] moves).
    pub script: Vec<Move>,
}

impl World {
    /// The profile the world runs under.
    pub fn profile(&self) -> fedcm_model::Profile {
        use fedcm_model::Profile;
        if self.firefox {
            return Profile::Firefox;
        }
        match (self.chromium, self.older) {
            (false, false) => Profile::Spec,
            (false, true) => Profile::Spec2024,
            (true, false) => Profile::Chromium,
            (true, true) => Profile::Chromium142,
        }
    }
}

/// A template (index, modulo the number of templates) and its mutations.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Doc {
    /// Which template, modulo the number of templates.
    pub template: u8,
    /// Applied in order (at most 8).
    pub mutations: Vec<Mutation>,
}

/// One change to a JSON tree.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// Which node, in pre-order, modulo the number of nodes.
    pub node: u16,
    /// What the change is.
    pub op: Op,
}

/// A change to one node.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// The node becomes this scalar.
    Replace(Scalar),
    /// Sets a member of an object (a push onto an array).
    Set {
        /// The member's name.
        key: Key,
        /// Its value.
        value: Scalar,
    },
    /// Removes the child at this index (modulo the number of children).
    RemoveChild(u8),
    /// Repeats the child at this index (an account twice: a duplicate id).
    RepeatChild(u8),
    /// Turns the value into its JSON text, as a string.
    Stringify,
    /// The node is wrapped in a one-element array.
    WrapInArray,
    /// The node is emptied (an object, array or string), or becomes `null`.
    Empty,
}

/// A JSON value to write into a document.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Scalar {
    /// A string.
    Text(Text),
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An index into [`FLOATS`].
    Float(u8),
    /// `[]`.
    EmptyArray,
    /// `{}`.
    EmptyObject,
    /// An array of strings (at most 8 kept).
    Texts(Vec<Text>),
}

/// A string value.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Text {
    /// An index into [`STRINGS`].
    Known(u8),
    /// At most 64 characters are kept.
    Raw(String),
    /// `"x"` repeated this many times.
    Repeat(u16),
}

/// An object member name.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Key {
    /// An index into [`KEYS`].
    Known(u8),
    /// Any name (at most 32 characters kept).
    Raw(String),
}

/// The browser's state before the call.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Browser {
    /// Per IdP: 0 logged-in, 1 logged-out, 2 unknown (modulo 3).
    pub login_status: [u8; 3],
    /// (IdP, account id index) pairs connected to the RP.
    pub connected: Vec<(u8, u8)>,
    /// The RP requires user mediation (no auto re-authentication).
    pub requires_user_mediation: bool,
    /// The call comes without transient user activation.
    pub no_transient_activation: bool,
    /// 0: not framed; 1: framed cross-site; 2: framed same-site.
    pub embedder: u8,
}

/// The responses of one IdP, per document: served in turn, the last
/// repeated (at most 4 kept).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Idp {
    /// Answers to the well-known fetch.
    pub well_known: Vec<Response>,
    /// Answers to the config fetch.
    pub config: Vec<Response>,
    /// Answers to the accounts fetch.
    pub accounts: Vec<Response>,
    /// Answers to the client metadata fetch.
    pub client_metadata: Vec<Response>,
    /// Answers to the assertion fetch.
    pub assertion: Vec<Response>,
}

/// One HTTP response, each field chosen by a byte whose low values mean
/// "well-formed".
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Response {
    /// The body.
    pub body: Body,
    /// 0..=159: 200; then [`STATUSES`] (the last entry: a network error).
    pub status: u8,
    /// 0..=199: `application/json`; then [`CONTENT_TYPES`].
    pub content_type: u8,
    /// 0..=199: CORS headers for the RP; then [`CORS`].
    pub cors: u8,
    /// Where a redirect points: an index into [`LOCATIONS`].
    pub location: u8,
}

/// A response body.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// A template document with its mutations.
    Template(Doc),
    /// Sent as is (at most 4 KiB kept).
    Raw(Vec<u8>),
    /// One of the bodies aimed at the limits.
    Nasty(Nasty),
}

impl Default for Body {
    fn default() -> Body {
        Body::Template(Doc::default())
    }
}

/// Bodies aimed at the limits: size, nesting, encoding.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Nasty {
    /// `[` repeated (at most 64 Ki times), unclosed.
    DeepArray(u16),
    /// The template nested in this many arrays/objects (at most 200), closed.
    DeepTemplate(u8, Doc),
    /// The template with this many extra elements in its first array.
    ManyElements(u16, Doc),
    /// The template padded to 1 MiB + this many bytes (0: exactly the limit).
    Padded(u8, Doc),
    /// A BOM, then the template.
    Bom(Doc),
    /// The template with a byte 0xff in its first string.
    InvalidUtf8(Doc),
    /// The template with a lone surrogate escape in its first string.
    LoneSurrogate(Doc),
    /// The template with its first member repeated textually, with this value.
    DuplicateKey(Scalar, Doc),
}

/// One move of the script.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    /// 0..=109 answer a fetch; 110..=209 answer the prompt; 210..=239 fire
    /// the timer; 240..=247 a stray response; 248..=251 a wrong timer;
    /// 252..=255 abort.
    pub kind: u8,
    /// Which fetch or answer (modulo the number there are), stray request id
    /// or timer id.
    pub arg: u8,
}
