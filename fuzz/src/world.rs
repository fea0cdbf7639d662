//! The structure-aware targets (`flow`, `invariants`): a small description
//! of a world, decoded from the fuzzer's bytes with `arbitrary`, drives one
//! `navigator.credentials.get()` to its end.
//!
//! - Request options: one of [`OPTIONS`] with up to 8 mutations
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
//! The `Arbitrary` derives are `cfg_attr(not(test), ...)`: the fuzz crate
//! has them; `tests/fuzz_regressions.rs`, which compiles this file as a
//! test module without `arbitrary`, does not. Worlds serialize to JSON: `FEDCM_FUZZ_WORLD_OUT=FILE cargo fuzz run flow
//! ARTIFACT` writes a crash's world, the form `tests/fuzz-crashes/{flow,invariants}/`
//! keeps (the stable regression test has no `arbitrary`).

use fedcm_check::explore;
use fedcm_check::invariants;
use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, NetworkError, RequestId};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Rp, Step};
use fedcm_model::{HttpResponse, Profile};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use url::Url;

pub const RP: &str = "https://rp.example";
/// Two IdPs cross-site with the RP, one same-site (no well-known fetch).
pub const IDPS: [&str; 3] = ["https://idp1.example", "https://idp2.example", "https://idp.rp.example"];
const ACCOUNT_IDS: [&str; 4] = ["1", "2", "3", ""];

/// Steps the script may take (one fuzzer move each).
pub const MAX_SCRIPT: usize = 256;
/// Steps allowed after the script for the flow to settle.
pub const SETTLE_STEPS: usize = 512;
/// Mutations applied per document.
const MAX_MUTATIONS: usize = 8;
/// Responses kept per URL.
const MAX_RESPONSES: usize = 4;

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    pub chromium: bool,
    pub options: Doc,
    pub browser: Browser,
    pub idps: [Idp; 3],
    pub script: Vec<Move>,
}

/// A template (index, modulo the number of templates) and its mutations.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Doc {
    pub template: u8,
    pub mutations: Vec<Mutation>,
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// Which node, in pre-order, modulo the number of nodes.
    pub node: u16,
    pub op: Op,
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    Replace(Scalar),
    /// Sets a member of an object (a push onto an array).
    Set {
        key: Key,
        value: Scalar,
    },
    /// Removes the child at this index (modulo the number of children).
    RemoveChild(u8),
    /// Repeats the child at this index (an account twice: a duplicate id).
    RepeatChild(u8),
    /// Turns the value into its JSON text, as a string.
    Stringify,
    WrapInArray,
    Empty,
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Scalar {
    Text(Text),
    Null,
    Bool(bool),
    Int(i64),
    /// An index into [`FLOATS`].
    Float(u8),
    EmptyArray,
    EmptyObject,
    Texts(Vec<Text>),
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Text {
    /// An index into [`STRINGS`].
    Known(u8),
    /// At most 64 characters are kept.
    Raw(String),
    /// `"x"` repeated this many times.
    Repeat(u16),
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Key {
    /// An index into [`KEYS`].
    Known(u8),
    Raw(String),
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Browser {
    /// Per IdP: 0 logged-in, 1 logged-out, 2 unknown (modulo 3).
    pub login_status: [u8; 3],
    /// (IdP, account id index) pairs connected to the RP.
    pub connected: Vec<(u8, u8)>,
    pub requires_user_mediation: bool,
    pub no_transient_activation: bool,
    /// 0: not framed; 1: framed cross-site; 2: framed same-site.
    pub embedder: u8,
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Idp {
    pub well_known: Vec<Response>,
    pub config: Vec<Response>,
    pub accounts: Vec<Response>,
    pub client_metadata: Vec<Response>,
    pub assertion: Vec<Response>,
}

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Response {
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

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    Template(Doc),
    /// Sent as is (at most 4 KiB kept).
    Raw(Vec<u8>),
    Nasty(Nasty),
}

impl Default for Body {
    fn default() -> Body {
        Body::Template(Doc::default())
    }
}

/// Bodies aimed at the limits: size, nesting, encoding.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
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

#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    /// 0..=109 answer a fetch; 110..=209 answer the prompt; 210..=239 fire
    /// the timer; 240..=247 a stray response; 248..=251 a wrong timer;
    /// 252..=255 abort.
    pub kind: u8,
    pub arg: u8,
}

pub const STATUSES: [u16; 22] = [
    201,
    204,
    299,
    301,
    302,
    303,
    307,
    308,
    304,
    400,
    401,
    403,
    404,
    429,
    500,
    503,
    502,
    100,
    0,
    999,
    206,
    NETWORK_ERROR,
];
const NETWORK_ERROR: u16 = u16::MAX;

pub const CONTENT_TYPES: [Option<&str>; 10] = [
    Some("application/json; charset=utf-8"),
    Some("text/json"),
    Some("application/ld+json"),
    Some("text/html"),
    None,
    Some(""),
    Some("application/javascript"),
    Some("APPLICATION/JSON"),
    Some("application/"),
    Some("json"),
];

/// (Access-Control-Allow-Origin, Access-Control-Allow-Credentials); `None` omits it.
pub const CORS: [(Option<&str>, Option<&str>); 8] = [
    (None, None),
    (Some("*"), Some("true")),
    (Some("https://evil.example"), Some("true")),
    (Some(RP), None),
    (Some(RP), Some("TRUE")),
    (Some("null"), Some("true")),
    (Some(" https://rp.example "), Some(" true ")),
    (Some("https://rp.example/"), Some("true")),
];

pub const LOCATIONS: [&str; 8] = [
    "/.well-known/web-identity",
    "/other-well-known",
    "https://evil.example/.well-known/web-identity",
    "https://idp1.example/.well-known/web-identity",
    "//idp2.example/.well-known/web-identity",
    "http://[::1",
    "",
    "javascript:alert(1)",
];

pub const FLOATS: [f64; 12] =
    [0.5, -0.0, 1e21, 1e300, -1e300, 4294967296.5, 5e-324, 1.7976931348623157e308, 9007199254740993.0, -1.5, 32.9, 0.1];

pub const STRINGS: &[&str] = &[
    "",
    " ",
    "\t\n",
    "1",
    "2",
    "3",
    "c1",
    "c2",
    "https://idp1.example/config.json",
    "https://idp2.example/config.json",
    "https://idp.rp.example/config.json",
    "https://idp1.example/other.json",
    "/accounts",
    "/assertion",
    "/login",
    "accounts",
    "https://idp1.example/accounts",
    "https://tracker.example/x",
    "//evil.example/x",
    "http://idp1.example/x",
    "https://idp1.example:8443/x",
    "javascript:alert(1)",
    "data:,x",
    "https://[::1",
    "http://localhost:1/x",
    "https://cdn.example/p.png",
    "/relative.png",
    "any",
    "corp.example",
    "a@x",
    "l1",
    "name",
    "email",
    "picture",
    "tel",
    "username",
    "active",
    "passive",
    "button",
    "silent",
    "optional",
    "required",
    "conditional",
    "signin",
    "signup",
    "use",
    "continue",
    "#1a73e8",
    "rgb(1, 2, 3)",
    "white",
    "not-a-color",
    "true",
    "false",
    "null",
    "0",
    "-1",
    "4294967297",
    "0x10",
    "1e21",
    "\u{feff}",
    "\u{0}",
    "\u{fffd}",
    "é",
    "𝄞",
    "[object Object]",
    "https://idp1.example/continue",
    "https://idp2.example/continue",
    "/continue",
    "/why",
    "https://tracker.example/why",
    "http://idp1.example/why",
    "server_error",
    "access_denied",
    "https://rp.example/privacy",
    "ftp://rp.example/terms",
    "https://idp1.example/.well-known/web-identity",
    "/.well-known/web-identity",
    "?q=1",
    "#frag",
    "https://user:pass@idp1.example/x",
    "https://IDP1.example./x",
    "https://xn--nxasmq6b.example/x",
];

pub const KEYS: &[&str] = &[
    "accounts",
    "id",
    "name",
    "email",
    "tel",
    "username",
    "given_name",
    "picture",
    "approved_clients",
    "login_hints",
    "domain_hints",
    "label_hints",
    "labels",
    "account_id",
    "provider_urls",
    "accounts_endpoint",
    "login_url",
    "id_assertion_endpoint",
    "client_metadata_endpoint",
    "disconnect_endpoint",
    "branding",
    "background_color",
    "color",
    "icons",
    "url",
    "size",
    "supports_use_other_account",
    "modes",
    "active",
    "passive",
    "account_label",
    "include",
    "types",
    "privacy_policy_url",
    "terms_of_service_url",
    "client_is_third_party_to_top_frame_origin",
    "token",
    "continue_on",
    "error",
    "code",
    "id_token",
    "identity",
    "providers",
    "configURL",
    "clientId",
    "nonce",
    "loginHint",
    "domainHint",
    "fields",
    "params",
    "mode",
    "context",
    "mediation",
    "signin_url",
    "id_token_endpoint",
];

/// The RP's options.
pub fn options_templates() -> Vec<Value> {
    let c = |idp: &str| format!("{idp}/config.json");
    vec![
        json!({"identity": {"providers": [{"configURL": c(IDPS[0]), "clientId": "c1"}]}}),
        json!({"mediation": "optional", "identity": {"providers": [
            {"configURL": c(IDPS[0]), "clientId": "c1"}, {"configURL": c(IDPS[1]), "clientId": "c1"}]}}),
        json!({"mediation": "required", "identity": {"mode": "active", "context": "signup", "providers": [
            {"configURL": c(IDPS[0]), "clientId": "c1", "fields": ["name", "email", "picture"],
             "params": {"nonce": "n", "scope": ["x"]}, "loginHint": "a@x", "domainHint": "any"}]}}),
        json!({"mediation": "silent", "identity": {"providers": [{"configURL": c(IDPS[0]), "clientId": "c1"}]}}),
        json!({"identity": {"providers": [
            {"configURL": c(IDPS[2]), "clientId": "c1", "fields": []},
            {"configURL": c(IDPS[1]), "clientId": "c2", "nonce": "legacy"}]}}),
        json!({"identity": {"mode": "active", "providers": [{"configURL": c(IDPS[2]), "clientId": "c2"}]}}),
        json!({"identity": {"context": "use", "providers": [
            {"configURL": c(IDPS[0]), "clientId": "c1"}, {"configURL": c(IDPS[1]), "clientId": "c2"},
            {"configURL": c(IDPS[2]), "clientId": "c1"}]}}),
    ]
}

/// The documents an IdP at `origin` serves, by kind.
pub fn templates(kind: FetchKind, origin: &str) -> Vec<Value> {
    match kind {
        FetchKind::WellKnown => vec![
            json!({"provider_urls": [format!("{origin}/config.json")]}),
            json!({"provider_urls": [format!("{origin}/config.json")], "accounts_endpoint": "/accounts",
                "login_url": "/login"}),
            json!({"accounts_endpoint": format!("{origin}/accounts"), "login_url": "/login"}),
            json!({"provider_urls": [format!("{origin}/other.json")]}),
        ],
        FetchKind::Config => vec![
            json!({"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login",
                "client_metadata_endpoint": "/client_metadata", "disconnect_endpoint": "/disconnect",
                "supports_use_other_account": true,
                "branding": {"background_color": "#1a73e8", "color": "white", "name": "IdP",
                    "icons": [{"url": "icon.png", "size": 32}]}}),
            json!({"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login"}),
            json!({"accounts_endpoint": "accounts", "id_assertion_endpoint": "assertion", "login_url": "login",
                "account_label": "l1", "modes": {"active": {"supports_use_other_account": true}}}),
        ],
        FetchKind::Accounts => vec![
            json!({"accounts": [{"id": "1", "name": "One", "email": "one@idp.example",
                "picture": "https://cdn.example/1.png"}]}),
            json!({"accounts": [
                {"id": "1", "name": "One", "email": "one@idp.example", "approved_clients": ["c1"],
                 "login_hints": ["a@x"], "domain_hints": ["corp.example"], "label_hints": ["l1"]},
                {"id": "2", "name": "Two", "username": "two", "tel": "+1", "given_name": "T",
                 "picture": "/relative.png", "approved_clients": []}]}),
            json!({"accounts": []}),
            json!({"accounts": [{"id": "3", "email": "three@idp.example", "labels": ["l1"]}]}),
        ],
        FetchKind::ClientMetadata => vec![
            json!({"privacy_policy_url": "https://rp.example/privacy", "terms_of_service_url": "https://rp.example/terms"}),
            json!({"privacy_policy_url": "https://rp.example/privacy", "client_is_third_party_to_top_frame_origin": true}),
        ],
        FetchKind::Assertion => vec![
            json!({"token": "t0k3n"}),
            json!({"error": {"error": "access_denied", "url": "/why"}}),
            json!({"continue_on": format!("{origin}/continue")}),
            json!({"token": {"jwt": "x", "n": [1, 2.5]}}),
            json!({"error": "server_error"}),
        ],
        FetchKind::Picture | FetchKind::Disconnect => vec![json!({})],
    }
}

// ---- building documents ----

fn text(t: &Text) -> String {
    match t {
        Text::Known(i) => STRINGS[usize::from(*i) % STRINGS.len()].to_string(),
        Text::Raw(s) => s.chars().take(64).collect(),
        Text::Repeat(n) => "x".repeat(usize::from(*n)),
    }
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Text(t) => Value::String(text(t)),
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(*b),
        Scalar::Int(n) => json!(n),
        Scalar::Float(i) => json!(FLOATS[usize::from(*i) % FLOATS.len()]),
        Scalar::EmptyArray => json!([]),
        Scalar::EmptyObject => json!({}),
        Scalar::Texts(ts) => Value::Array(ts.iter().take(8).map(|t| Value::String(text(t))).collect()),
    }
}

fn key(k: &Key) -> String {
    match k {
        Key::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_string(),
        Key::Raw(s) => s.chars().take(32).collect(),
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn node(v: &mut Value, n: usize) -> &mut Value {
    // Find the path first, then walk it: no borrow is held across the search.
    let path = path_to(v, n);
    let mut cur = v;
    for step in path {
        cur = match (cur, step) {
            (Value::Array(a), Step2::Index(i)) => &mut a[i],
            (Value::Object(o), Step2::Key(k)) => o.get_mut(&k).expect("the key was just seen"),
            _ => unreachable!("the path was computed on this tree"),
        };
    }
    cur
}

enum Step2 {
    Index(usize),
    Key(String),
}

fn path_to(v: &Value, n: usize) -> Vec<Step2> {
    fn go(v: &Value, i: &mut usize, path: &mut Vec<Step2>) -> bool {
        if *i == 0 {
            return true;
        }
        *i -= 1;
        match v {
            Value::Array(a) => {
                for (j, x) in a.iter().enumerate() {
                    path.push(Step2::Index(j));
                    if go(x, i, path) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            Value::Object(o) => {
                for (k, x) in o {
                    path.push(Step2::Key(k.clone()));
                    if go(x, i, path) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            _ => false,
        }
    }
    let mut path = Vec::new();
    let mut i = n;
    go(v, &mut i, &mut path);
    path
}

fn mutate(v: &mut Value, m: &Mutation) {
    let n = usize::from(m.node) % count(v);
    let target = node(v, n);
    match &m.op {
        Op::Replace(s) => *target = scalar(s),
        Op::Set { key: k, value } => match target {
            Value::Object(o) => {
                o.insert(key(k), scalar(value));
            }
            Value::Array(a) => a.push(scalar(value)),
            other => *other = scalar(value),
        },
        Op::RemoveChild(i) => match target {
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(usize::from(*i) % o.len()).cloned().unwrap_or_default();
                o.remove(&k);
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(usize::from(*i) % a.len());
            }
            _ => {}
        },
        Op::RepeatChild(i) => match target {
            Value::Array(a) if !a.is_empty() => {
                let x = a[usize::from(*i) % a.len()].clone();
                a.push(x);
            }
            Value::Object(o) if !o.is_empty() => {
                // Objects cannot repeat a key: copy a member under a new name.
                let (k, x) = o.iter().nth(usize::from(*i) % o.len()).map(|(k, x)| (k.clone(), x.clone())).unwrap();
                o.insert(format!("{k}_"), x);
            }
            _ => {}
        },
        Op::Stringify => *target = Value::String(target.to_string()),
        Op::WrapInArray => *target = Value::Array(vec![target.take()]),
        Op::Empty => match target {
            Value::Object(o) => o.clear(),
            Value::Array(a) => a.clear(),
            Value::String(s) => s.clear(),
            other => *other = Value::Null,
        },
    }
}

impl Doc {
    /// The template with the mutations applied.
    pub fn build(&self, templates: &[Value]) -> Value {
        let mut v = templates[usize::from(self.template) % templates.len()].clone();
        for m in self.mutations.iter().take(MAX_MUTATIONS) {
            mutate(&mut v, m);
        }
        v
    }
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

const LIMIT: usize = 1024 * 1024;

/// Bodies the harness may build: past the model's limit (to test it), but
/// not by more than a few MiB, so a fuzz run measures the model's memory,
/// not the harness's.
pub const MAX_BODY: usize = 16 * LIMIT;

fn body(b: &Body, templates: &[Value]) -> Vec<u8> {
    let out = unbounded_body(b, templates);
    assert!(out.len() <= MAX_BODY, "the harness built a {} byte body", out.len());
    out
}

fn unbounded_body(b: &Body, templates: &[Value]) -> Vec<u8> {
    match b {
        Body::Template(doc) => to_bytes(&doc.build(templates)),
        Body::Raw(bytes) => bytes[..bytes.len().min(4096)].to_vec(),
        Body::Nasty(n) => match n {
            Nasty::DeepArray(depth) => vec![b'['; usize::from(*depth)],
            Nasty::DeepTemplate(depth, doc) => {
                let depth = usize::from(*depth).min(200);
                let mut out = Vec::new();
                for i in 0..depth {
                    out.extend_from_slice(if i % 2 == 0 { b"[" } else { b"{\"accounts\":" });
                }
                out.extend(to_bytes(&doc.build(templates)));
                for i in (0..depth).rev() {
                    out.push(if i % 2 == 0 { b']' } else { b'}' });
                }
                out
            }
            Nasty::ManyElements(n, doc) => {
                let mut v = doc.build(templates);
                fn first_array(v: &mut Value) -> Option<&mut Vec<Value>> {
                    match v {
                        Value::Array(a) => Some(a),
                        Value::Object(o) => o.values_mut().find_map(first_array),
                        _ => None,
                    }
                }
                if let Some(a) = first_array(&mut v) {
                    let x = a.first().cloned().unwrap_or(Value::Null);
                    // Enough copies to pass the body limit by one, never
                    // more: 60,000 copies of a 56 KB account would be 3 GB
                    // of harness, not a test of the model.
                    let size = to_bytes(&x).len() + 1;
                    let copies = usize::from(*n).min(LIMIT / size + 2);
                    a.extend(std::iter::repeat_n(x, copies));
                }
                to_bytes(&v)
            }
            Nasty::Padded(extra, doc) => {
                let mut out = to_bytes(&doc.build(templates));
                let target = (LIMIT + usize::from(*extra)).max(out.len());
                out.resize(target, b' ');
                out
            }
            Nasty::Bom(doc) => {
                let mut out = "\u{feff}".as_bytes().to_vec();
                out.extend(to_bytes(&doc.build(templates)));
                out
            }
            Nasty::InvalidUtf8(doc) => splice_first_string(to_bytes(&doc.build(templates)), b"\xff"),
            Nasty::LoneSurrogate(doc) => splice_first_string(to_bytes(&doc.build(templates)), b"\\ud800"),
            Nasty::DuplicateKey(value, doc) => {
                let v = doc.build(templates);
                let text = to_bytes(&v);
                match v.as_object().and_then(|o| o.keys().next()) {
                    // `{"k":X,...}` becomes `{"k":VALUE,"k":X,...}`.
                    Some(k) => {
                        let mut out = format!("{{{}:{},", Value::String(k.clone()), scalar(value)).into_bytes();
                        out.extend_from_slice(&text[1..]);
                        out
                    }
                    None => text,
                }
            }
        },
    }
}

/// Inserts `bytes` right after the first string's opening quote.
fn splice_first_string(mut text: Vec<u8>, bytes: &[u8]) -> Vec<u8> {
    if let Some(i) = text.iter().position(|&b| b == b'"') {
        text.splice(i + 1..i + 1, bytes.iter().copied());
    }
    text
}

impl Response {
    fn build(&self, kind: FetchKind, origin: &str) -> FetchResult {
        let status = match self.status {
            0..=159 => 200,
            s => STATUSES[usize::from(s - 160) % STATUSES.len()],
        };
        if status == NETWORK_ERROR {
            return Err(NetworkError::new("connection reset"));
        }
        let mut headers = Vec::new();
        let content_type = match self.content_type {
            0..=199 => Some("application/json"),
            c => CONTENT_TYPES[usize::from(c - 200) % CONTENT_TYPES.len()],
        };
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
        let (acao, acac) = match self.cors {
            0..=199 => (Some(RP), Some("true")),
            c => CORS[usize::from(c - 200) % CORS.len()],
        };
        if let Some(v) = acao {
            headers.push(("Access-Control-Allow-Origin".to_string(), v.to_string()));
        }
        if let Some(v) = acac {
            headers.push(("Access-Control-Allow-Credentials".to_string(), v.to_string()));
        }
        if (300..400).contains(&status) {
            let location = LOCATIONS[usize::from(self.location) % LOCATIONS.len()];
            headers.push(("Location".to_string(), location.to_string()));
        }
        Ok(HttpResponse { status, headers, body: body(&self.body, &templates(kind, origin)) })
    }
}

impl Browser {
    fn build(&self) -> BrowserState {
        let mut browser = BrowserState { transient_activation: !self.no_transient_activation, ..Default::default() };
        for (idp, s) in IDPS.iter().zip(self.login_status) {
            let status = [LoginStatus::LoggedIn, LoginStatus::LoggedOut, LoginStatus::Unknown][usize::from(s % 3)];
            browser.set_login_status(idp, status);
        }
        let embedder = self.embedder();
        for (idp, account) in self.connected.iter().take(8) {
            browser.connect(Connection {
                embedder: embedder.to_string(),
                rp: RP.to_string(),
                idp: IDPS[usize::from(*idp) % IDPS.len()].to_string(),
                account: ACCOUNT_IDS[usize::from(*account) % ACCOUNT_IDS.len()].to_string(),
            });
        }
        if self.requires_user_mediation {
            browser.requires_user_mediation.insert(RP.to_string());
        }
        browser
    }

    fn embedder(&self) -> &'static str {
        match self.embedder % 3 {
            0 => RP,
            1 => "https://top.example",
            _ => "https://www.rp.example",
        }
    }
}

/// Which IdP serves a URL.
fn idp_of(url: &Url) -> Option<usize> {
    IDPS.iter().position(|idp| Url::parse(idp).is_ok_and(|u| u.origin() == url.origin()))
}

/// Answers fetches from the world's IdPs, each URL's responses in turn.
struct Server<'w> {
    world: &'w World,
    served: HashMap<(usize, FetchKind), usize>,
    /// Requests answered so far, for stray repeats.
    answered: Vec<RequestId>,
}

impl Server<'_> {
    fn respond(&mut self, request: &FetchRequest) -> FetchResult {
        let not_found = || Ok(HttpResponse::json("{}").with_status(404).with_header("content-type", "text/html"));
        if request.kind == FetchKind::Picture {
            return Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "image/png".into())],
                body: vec![0x89, b'P'],
            });
        }
        let Some(i) = idp_of(&request.url) else { return not_found() };
        let idp = &self.world.idps[i];
        let list = match request.kind {
            FetchKind::WellKnown if request.url.path() == "/.well-known/web-identity" => &idp.well_known,
            FetchKind::Config => &idp.config,
            FetchKind::Accounts => &idp.accounts,
            FetchKind::ClientMetadata => &idp.client_metadata,
            FetchKind::Assertion => &idp.assertion,
            _ => return not_found(),
        };
        let n = self.served.entry((i, request.kind)).or_insert(0);
        let list = &list[..list.len().min(MAX_RESPONSES)];
        let default = Response::default();
        let response = list.get(*n).or(list.last()).unwrap_or(&default);
        *n += 1;
        response.build(request.kind, IDPS[i])
    }
}

/// What a run ended with.
pub struct Run {
    pub flow: Flow,
    /// Moves taken, script and settling.
    pub steps: usize,
}

/// Polls until the machine waits for something other than handing out a
/// fetch; the fetches handed out join `pending`, as a driver keeps them.
fn poll(flow: &mut Flow, pending: &mut Vec<FetchRequest>) -> Step {
    loop {
        match flow.next_step() {
            Step::Fetch(request) => pending.push(request),
            other => return other,
        }
    }
}

/// The answer that ends a prompt soonest.
fn closing_answer(prompt: &Prompt) -> UserAction {
    match prompt {
        Prompt::ErrorDialog { .. } => UserAction::Dismiss,
        _ => UserAction::Cancel,
    }
}

/// Late responses sent after the request settled (each must be ignored).
const LATE_RESPONSES: usize = 64;

/// Drives a flow through the world; panics if it does not settle, settles
/// twice, or changes its outcome afterwards.
pub fn run(world: &World) -> Run {
    dump(world);
    let profile = if world.chromium { Profile::Chromium } else { Profile::Spec };
    let options = world.options.build(&options_templates());
    let browser = world.browser.build();
    let rp =
        Rp { origin: Url::parse(RP).expect("valid"), embedder: Url::parse(world.browser.embedder()).expect("valid") };
    let mut flow = Flow::from_json(rp, browser, &options, profile);
    let mut server = Server { world, served: HashMap::new(), answered: Vec::new() };
    // Handed out and not answered yet, in the order handed out.
    let mut pending: Vec<FetchRequest> = Vec::new();
    let mut steps = 0;
    let respond = |flow: &mut Flow, server: &mut Server, pending: &mut Vec<FetchRequest>, k: usize| {
        let request = pending.remove(k % pending.len());
        let result = server.respond(&request);
        server.answered.push(request.id);
        flow.on_response(request.id, result);
    };
    let script = &world.script[..world.script.len().min(MAX_SCRIPT)];
    for (n, m) in script.iter().chain(std::iter::repeat_n(&Move { kind: 0, arg: 0 }, SETTLE_STEPS)).enumerate() {
        let settling = n >= script.len();
        let step = poll(&mut flow, &mut pending);
        if let Step::Done(_) = step {
            break;
        }
        steps += 1;
        if pending.len() <= 16 {
            assert_eq!(
                flow.pending_requests().count(),
                pending.len(),
                "the machine and the driver disagree on what is pending"
            );
        }
        match (m.kind, &step) {
            (0..=109, _) if !settling && !pending.is_empty() => {
                respond(&mut flow, &mut server, &mut pending, usize::from(m.arg))
            }
            (110..=209, Step::Ask(prompt)) if !settling => {
                let answers = explore::answers(prompt);
                let _ = flow.on_user(answers[usize::from(m.arg) % answers.len()].clone());
            }
            (210..=239, Step::Wait(timer)) => flow.on_timer(timer.id),
            (240..=247, _) => {
                // A response to a request already answered, or never sent.
                let id =
                    server.answered.get(usize::from(m.arg)).copied().unwrap_or(RequestId(u64::from(m.arg) + 1_000_000));
                flow.on_response(id, Ok(HttpResponse::json(r#"{"token":"stray"}"#)));
            }
            (248..=251, _) => flow.on_timer(u64::from(m.arg)),
            (252..=255, _) => {
                flow.abort();
                assert!(flow.outcome().is_some(), "abort did not settle the request");
            }
            // After the script, or when the move does not fit: settle.
            // Prompts and timers first; then fetches, pictures last (the
            // machine ignores their responses, so it never waits on one).
            _ => match &step {
                Step::Ask(prompt) if settling => {
                    flow.on_user(closing_answer(prompt)).expect("closing answers fit every prompt")
                }
                Step::Ask(prompt) if pending.is_empty() => {
                    let _ = flow.on_user(explore::answers(prompt)[0].clone());
                }
                Step::Wait(timer) if settling || pending.is_empty() => flow.on_timer(timer.id),
                _ => match pending.iter().position(|r| r.kind != FetchKind::Picture) {
                    Some(k) => respond(&mut flow, &mut server, &mut pending, k),
                    None if matches!(step, Step::Idle) => panic!(
                        "the machine waits, but nothing is asked and only pictures ({}) are pending",
                        pending.len()
                    ),
                    None => respond(&mut flow, &mut server, &mut pending, 0),
                },
            },
        }
    }
    let outcome = match poll(&mut flow, &mut pending) {
        Step::Done(outcome) => outcome,
        other => panic!(
            "not settled after {steps} steps ({SETTLE_STEPS} to settle); waiting at {}",
            short(&format!("{other:?}"))
        ),
    };

    // Settled once, and nothing moves it afterwards.
    let settled = |flow: &Flow| {
        flow.trace().events.iter().filter(|e| matches!(e, fedcm_model::trace::Event::Settled { .. })).count()
    };
    assert_eq!(settled(&flow), 1, "the request settled more than once");
    for _ in 0..pending.len().min(LATE_RESPONSES) {
        respond(&mut flow, &mut server, &mut pending, 0);
    }
    assert!(flow.on_user(UserAction::Cancel).is_err(), "a settled request took an answer");
    flow.on_timer(0);
    flow.abort();
    assert_eq!(flow.outcome(), Some(&outcome), "the outcome changed after settling");
    assert_eq!(settled(&flow), 1, "the request settled again");
    assert!(matches!(flow.next_step(), Step::Done(_)));
    Run { flow, steps }
}

/// The `invariants` target: a run, then every invariant over its trace.
pub fn run_checked(world: &World) {
    let run = run(world);
    let violations = invariants::check_all(run.flow.trace());
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
        panic!("invariants broken:\n  {}", short(&list.join("\n  ")));
    }
}

/// At most 600 characters of a message.
fn short(text: &str) -> String {
    match text.char_indices().nth(600) {
        Some((i, _)) => format!("{}... ({} bytes)", &text[..i], text.len()),
        None => text.to_string(),
    }
}

/// With `FEDCM_FUZZ_WORLD_OUT` set, writes the world as JSON (to turn a
/// crash artifact into a regression file).
fn dump(world: &World) {
    use std::sync::OnceLock;
    static OUT: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    if let Some(path) = OUT.get_or_init(|| std::env::var_os("FEDCM_FUZZ_WORLD_OUT").map(Into::into)) {
        let text = serde_json::to_string_pretty(world).unwrap_or_default();
        let _ = std::fs::write(path, text + "\n");
    }
}
