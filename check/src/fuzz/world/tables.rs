//! The tables the world's bytes index into, and the template documents
//! the mutations start from.

use super::*;
use std::sync::OnceLock;

/// Statuses for [`Response::status`] past 159; [`u16::MAX`] is a network error.
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
pub(super) const NETWORK_ERROR: u16 = u16::MAX;

/// Content types for [`Response::content_type`] past 199; `None` sends none.
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

/// Redirect targets ([`Response::location`]).
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

/// Floats for [`Scalar::Float`]: the edges of JSON number handling.
pub const FLOATS: [f64; 12] =
    [0.5, -0.0, 1e21, 1e300, -1e300, 4294967296.5, 5e-324, 1.7976931348623157e308, 9007199254740993.0, -1.5, 32.9, 0.1];

/// Strings for [`Text::Known`]: URLs, hints and names aimed at the rules.
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

/// Member names for [`Key::Known`]: the documents' own and a few strangers.
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

/// A template document and its JSON text (`serde_json::to_vec`), built once.
pub(super) struct Template {
    /// The document.
    pub(super) value: Value,
    /// Its bytes, as a body without mutations sends them.
    pub(super) bytes: Vec<u8>,
}

/// [`options_templates`], built once per process.
pub(super) fn cached_options_templates() -> &'static [Value] {
    static CACHE: OnceLock<Vec<Value>> = OnceLock::new();
    CACHE.get_or_init(options_templates)
}

/// The index of a fetch kind in [`cached_templates`]' table.
fn kind_index(kind: FetchKind) -> usize {
    match kind {
        FetchKind::WellKnown => 0,
        FetchKind::Config => 1,
        FetchKind::Accounts => 2,
        FetchKind::ClientMetadata => 3,
        FetchKind::Assertion => 4,
        FetchKind::Picture => 5,
        FetchKind::Disconnect => 6,
    }
}

/// Every kind of fetch, in the order the template cache keeps them.
pub(super) const KINDS: [FetchKind; 7] = [
    FetchKind::WellKnown,
    FetchKind::Config,
    FetchKind::Accounts,
    FetchKind::ClientMetadata,
    FetchKind::Assertion,
    FetchKind::Picture,
    FetchKind::Disconnect,
];

/// [`templates`]`(kind, IDPS[idp])` with each document's bytes, built once
/// per process: a response no longer rebuilds every template of its kind
/// (and re-serializes the one it sends) on every fetch.
pub(super) fn cached_templates(kind: FetchKind, idp: usize) -> &'static [Template] {
    type Table = Vec<Vec<Vec<Template>>>;
    static CACHE: OnceLock<Table> = OnceLock::new();
    let table = CACHE.get_or_init(|| {
        IDPS.iter()
            .map(|origin| {
                KINDS
                    .iter()
                    .map(|&kind| {
                        templates(kind, origin)
                            .into_iter()
                            .map(|value| Template { bytes: serde_json::to_vec(&value).unwrap_or_default(), value })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    });
    debug_assert!(KINDS.iter().enumerate().all(|(i, &k)| kind_index(k) == i));
    &table[idp][kind_index(kind)]
}
