//! The RP's side: the options passed to `navigator.credentials.get()`
//! (spec `#browser-api-credential-request-options`), read from the JSON
//! form JavaScript would pass, and checked as IDL conversion and the
//! Credential Management entry steps would check them.

use crate::idl::{self, ListPolicy};
use crate::idp::{Cx, ParseResult};
use crate::json::Json;
use crate::problem::{Document, JsError, Path, Problem, Rule};
use crate::profile::rules::{NonceEra, OptionsError};
use crate::profile::Profile;
use crate::urls::{ConfigUrl, UrlError};
use serde::Serialize;

/// `identity.mode`: how the RP asks for the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Shown without a gesture; the browser may decline.
    #[default]
    Passive,
    /// After a click: one provider, transient activation, a login pop-up
    /// when logged out.
    Active,
}

/// `identity.context`: which wording the dialog's title uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Context {
    /// "Sign in to RP with IdP".
    #[default]
    Signin,
    /// "Sign up to RP with IdP".
    Signup,
    /// "Use RP with IdP".
    Use,
    /// "Continue to RP with IdP".
    Continue,
}

/// Credential Management's `mediation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Mediation {
    /// Only auto re-authentication; never show UI.
    Silent,
    /// UI when needed, auto re-authentication allowed.
    #[default]
    Optional,
    /// For autofill-style UI; `IdentityCredential` rejects it.
    Conditional,
    /// Always show UI: no auto re-authentication.
    Required,
}

/// The argument of `navigator.credentials.get()`, once converted and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
pub struct RequestOptions {
    /// `identity.providers`, in the RP's order (the chooser keeps it).
    pub providers: Vec<ProviderRequest>,
    /// `identity.mode`.
    pub mode: Mode,
    /// `identity.context`.
    pub context: Context,
    /// Top-level `mediation`.
    pub mediation: Mediation,
}

/// One entry of `identity.providers`.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
pub struct ProviderRequest {
    /// The RP's string, exactly (returned as `IdentityCredential.configURL`).
    pub config_url_raw: String,
    /// Under the spec a bad `configURL` only fails "fetch the config file",
    /// so the provider is skipped later; it is kept here as that failure.
    #[serde(skip)]
    pub config_url: Result<ConfigUrl, UrlError>,
    /// `clientId`: the RP's id at the IdP, sent to the client metadata and assertion endpoints.
    pub client_id: String,
    /// Provider-level `nonce` (removed from the spec in 2025-08; Chromium
    /// still forwards it as a top-level form field).
    pub nonce: Option<String>,
    /// `loginHint`: keep only accounts whose `login_hints` contain it.
    pub login_hint: Option<String>,
    /// `domainHint`: keep only accounts whose `domain_hints` contain it (`"any"`: any).
    pub domain_hint: Option<String>,
    /// `None` when absent: an absent list means the default disclosure
    /// (name, email, picture), an empty one means none.
    pub fields: Option<Vec<String>>,
    /// `params`: extra JSON the assertion POST forwards serialized as `params`
    /// (and, under Chromium, each member as `param_<name>`).
    pub params: Option<serde_json::Value>,
}

impl ProviderRequest {
    /// A valid provider, for tests and drivers.
    pub fn new(config_url: &str, client_id: &str) -> ProviderRequest {
        ProviderRequest {
            config_url_raw: config_url.to_string(),
            config_url: ConfigUrl::parse(config_url),
            client_id: client_id.to_string(),
            nonce: None,
            login_hint: None,
            domain_hint: None,
            fields: None,
            params: None,
        }
    }
}

/// Chromium's limit on providers in one call: the renderer rejects with a
/// TypeError ("More than 10 providers are not allowed.",
/// third_party/blink/renderer/modules/credentialmanagement/
/// authentication_credentials_container.cc, `GetForIdentity`), and the
/// browser treats a longer list as a bad message
/// (content/browser/webid/request_service.cc). The spec sets no limit (an
/// open PR, w3c-fedid/FedCM#711, proposes 10); the `spec` profile takes any
/// number, in time linear in it.
pub const MAX_PROVIDERS_CHROMIUM: usize = 10;

const MODES: &[&str] = &["active", "passive"];
const CONTEXTS: &[&str] = &["signin", "signup", "use", "continue"];
const MEDIATIONS: &[&str] = &["silent", "optional", "conditional", "required"];

/// Parses the argument of `navigator.credentials.get()`.
pub fn parse(value: &serde_json::Value, profile: Profile) -> ParseResult<RequestOptions> {
    let json = Json::from_value(value);
    let mut cx = Cx::new(Document::RequestOptions, profile);
    // Request options always go through WebIDL, whatever the profile: the
    // renderer converts them in every browser.
    cx.profile = Profile::Spec;
    let root = Path::Root;
    let Some(top) = idl::top_level(&mut cx, &json) else { return finish(cx, profile, None) };
    let mediation = enumeration(&mut cx, &root.field("mediation"), top.get("mediation"), MEDIATIONS)
        .and_then(|i| {
            [Mediation::Silent, Mediation::Optional, Mediation::Conditional, Mediation::Required].get(i).copied()
        })
        .unwrap_or_default();

    let identity_path = root.field("identity");
    let Some(identity_value) = top.get("identity") else {
        // `identity` is optional in the IDL; without it (or any other
        // type) Credential Management has nothing to request.
        cx.error(&identity_path, Rule::NoCredentialType);
        return finish(cx, profile, None);
    };
    let Some(identity) = idl::dictionary(&mut cx, &identity_path, identity_value) else {
        return finish(cx, profile, None);
    };
    let mode = enumeration(&mut cx, &identity_path.field("mode"), identity.get("mode"), MODES)
        .and_then(|i| [Mode::Active, Mode::Passive].get(i).copied())
        .unwrap_or_default();
    let context = enumeration(&mut cx, &identity_path.field("context"), identity.get("context"), CONTEXTS)
        .and_then(|i| [Context::Signin, Context::Signup, Context::Use, Context::Continue].get(i).copied())
        .unwrap_or_default();

    if mediation == Mediation::Conditional {
        cx.error(&root.field("mediation"), Rule::ConditionalMediation);
    }
    if profile.rules().refuses_active_silent && mode == Mode::Active && mediation == Mediation::Silent {
        cx.error(&identity_path.field("mode"), Rule::ActiveWithSilent);
    }

    let providers_path = identity_path.field("providers");
    let providers = match identity.get("providers") {
        None => {
            cx.error(&providers_path, Rule::MissingRequired);
            None
        }
        Some(Json::Array(items)) => {
            if items.is_empty() {
                cx.error(&providers_path, Rule::EmptyProviders);
            }
            if profile.rules().max_providers.is_some_and(|max| items.len() > max) {
                cx.error(&providers_path, Rule::TooManyProviders { count: items.len() });
            }
            let parsed: Vec<_> = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| provider(&mut cx, &providers_path.index(i), item, profile))
                .collect();
            (parsed.len() == items.len()).then_some(parsed)
        }
        Some(other) => {
            cx.error(&providers_path, Rule::WrongType { expected: "an array of providers", found: other.json_type() });
            None
        }
    };
    let value = providers.map(|providers| RequestOptions { providers, mode, context, mediation });
    finish(cx, profile, value)
}

fn finish(mut cx: Cx, profile: Profile, value: Option<RequestOptions>) -> ParseResult<RequestOptions> {
    cx.profile = profile;
    cx.finish(value)
}

fn provider(cx: &mut Cx, path: &Path, item: &Json, profile: Profile) -> Option<ProviderRequest> {
    let dict = idl::dictionary(cx, path, item)?;
    let config_path = path.field("configURL");
    let config_url_raw = idl::required_string(cx, &config_path, dict.get("configURL"));
    let client_id = idl::required_string(cx, &path.field("clientId"), dict.get("clientId"));
    let string = |cx: &mut Cx, name: &'static str| idl::string(cx, &path.field(name), dict.get(name)).map(String::from);
    let nonce = string(cx, "nonce");
    let era = profile.rules().nonce_era;
    if nonce.is_some() && era == NonceEra::Params {
        cx.warn(&path.field("nonce"), Rule::ProviderLevelNonce);
    }
    let login_hint = string(cx, "loginHint");
    let domain_hint = string(cx, "domainHint");
    let fields = fields(cx, &path.field("fields"), dict.get("fields"), profile);
    // Before `params` existed it is an unknown member, which WebIDL ignores.
    let params = dict.get("params").filter(|_| era == NonceEra::Params).map(Json::to_value);
    let config_url_raw = config_url_raw?.into_owned();
    let client_id = client_id?.into_owned();
    let config_url = ConfigUrl::parse(&config_url_raw);
    if profile.rules().checks_providers_up_front {
        // Chromium refuses these before any fetch; the spec lets the
        // config fetch fail (delayed NetworkError) and never checks clientId.
        if let Err(e @ UrlError::Unparsable { .. }) = &config_url {
            cx.error(&config_path, Rule::InvalidConfigUrl(e.clone()));
        }
        if client_id.is_empty() {
            cx.error(&path.field("clientId"), Rule::EmptyClientId);
        }
    }
    Some(ProviderRequest { config_url_raw, config_url, client_id, nonce, login_hint, domain_hint, fields, params })
}

/// `fields`: a sequence of strings; in Chromium 156 each entry is a string
/// or a dictionary whose required `name` is the field (decisions P15).
fn fields(cx: &mut Cx, path: &Path, value: Option<&Json>, profile: Profile) -> Option<Vec<String>> {
    let dictionaries = profile.rules().field_dictionaries;
    let Some(Json::Array(items)) = value.filter(|_| dictionaries) else {
        return idl::string_list(cx, path, value, ListPolicy::Strict)
            .map(|v| v.into_iter().map(String::from).collect());
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        // An array is an object to WebIDL: it converts as the dictionary too.
        let name = match item {
            Json::Object(_) | Json::Array(_) => {
                let entry = idl::dictionary(cx, &at, item);
                idl::required_string(cx, &at.field("name"), entry.and_then(|d| d.get("name")))
            }
            other => idl::string(cx, &at, Some(other)),
        };
        out.extend(name.map(String::from));
    }
    Some(out)
}

/// A WebIDL enum member: ToString, then it must be one of `allowed`.
fn enumeration(cx: &mut Cx, path: &Path, value: Option<&Json>, allowed: &'static [&'static str]) -> Option<usize> {
    let value = value?;
    let s = match value {
        Json::String(s) => s.to_string(),
        other => idl::to_js_string(other),
    };
    let found = allowed.iter().position(|a| *a == s);
    if found.is_none() {
        cx.error(path, Rule::NotInEnum { value: s, allowed });
    }
    found
}

impl Problem {
    /// The exception `get()` throws for a request-options error.
    pub fn js_error_in(&self, profile: Profile) -> JsError {
        let named = |e: OptionsError| match e {
            OptionsError::NetworkError => JsError::NetworkError,
            OptionsError::TypeError => JsError::TypeError,
            OptionsError::NotSupportedError => JsError::NotSupportedError,
        };
        match &self.rule {
            // The spec queues a NetworkError; engines throw a TypeError.
            Rule::EmptyProviders => named(profile.rules().empty_providers_error),
            // Chromium refuses conditional mediation itself, before
            // Credential Management's type check (measured on 156; A4).
            Rule::ConditionalMediation => named(profile.rules().conditional_error),
            _ => self.js_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::test_support::{error_ids, warning_ids};
    use serde_json::json;

    fn provider() -> serde_json::Value {
        json!({"configURL": "https://idp.example/config.json", "clientId": "123"})
    }
    fn get(identity: serde_json::Value) -> ParseResult<RequestOptions> {
        parse(&json!({ "identity": identity }), Profile::Spec)
    }

    #[test]
    fn defaults() {
        let o = get(json!({"providers": [provider()]})).unwrap().value;
        assert_eq!((o.mode, o.context, o.mediation), (Mode::Passive, Context::Signin, Mediation::Optional));
        let p = &o.providers[0];
        assert_eq!(p.config_url.as_ref().unwrap().as_str(), "https://idp.example/config.json");
        assert_eq!(p.fields, None);
    }

    #[test]
    fn full_options() {
        let o = parse(
            &json!({"mediation": "required", "identity": {"mode": "active", "context": "use", "providers": [{
                "configURL": "https://idp.example/config.json", "clientId": "123", "loginHint": "john",
                "domainHint": "any", "fields": ["name", "email"], "params": {"nonce": "abc", "scope": ["x"]}}]}}),
            Profile::Spec,
        )
        .unwrap()
        .value;
        assert_eq!((o.mode, o.context, o.mediation), (Mode::Active, Context::Use, Mediation::Required));
        let p = &o.providers[0];
        assert_eq!(p.login_hint.as_deref(), Some("john"));
        assert_eq!(p.fields.as_deref().unwrap(), ["name", "email"]);
        assert_eq!(p.params, Some(json!({"nonce": "abc", "scope": ["x"]})));
    }

    #[test]
    fn required_members() {
        assert_eq!(error_ids(&get(json!({}))), ["missing-required"]);
        assert_eq!(error_ids(&get(json!({"providers": [{"clientId": "1"}]}))), ["missing-required"]);
        assert_eq!(
            error_ids(&get(json!({"providers": [{"configURL": "https://idp.example/c"}]}))),
            ["missing-required"]
        );
        let none = parse(&json!({"mediation": "optional"}), Profile::Spec);
        assert_eq!(error_ids(&none), ["no-credential-type"]);
        assert_eq!(none.unwrap_err().first().js_error_in(Profile::Spec), JsError::NotSupportedError);
        let r = get(json!({"providers": "x"}));
        assert_eq!(error_ids(&r), ["wrong-type"]);
        assert_eq!(r.unwrap_err().first().js_error_in(Profile::Spec), JsError::TypeError);
    }

    #[test]
    fn enums_reject_unknown_values_including_chromium_dev_trial_names() {
        for (key, bad) in [("mode", "button"), ("mode", "widget"), ("context", "login")] {
            let r = get(json!({"providers": [provider()], key: bad}));
            assert_eq!(error_ids(&r), ["not-in-enum"], "{key}={bad}");
        }
        let r = parse(&json!({"mediation": "sometimes", "identity": {"providers": [provider()]}}), Profile::Spec);
        assert_eq!(error_ids(&r), ["not-in-enum"]);
    }

    #[test]
    fn conditional_mediation_is_a_type_error() {
        let r = parse(&json!({"mediation": "conditional", "identity": {"providers": [provider()]}}), Profile::Spec);
        assert_eq!(error_ids(&r), ["conditional-mediation"]);
        assert_eq!(r.unwrap_err().first().js_error_in(Profile::Spec), JsError::TypeError);
    }

    #[test]
    fn empty_providers_differs_by_profile() {
        let v = json!({"identity": {"providers": []}});
        let s = parse(&v, Profile::Spec).unwrap_err();
        assert_eq!(s.first().js_error_in(Profile::Spec), JsError::NetworkError);
        let c = parse(&v, Profile::Chromium).unwrap_err();
        assert_eq!(c.first().js_error_in(Profile::Chromium), JsError::TypeError);
    }

    #[test]
    fn active_with_silent_is_refused_by_chromium_only() {
        let v = json!({"mediation": "silent", "identity": {"mode": "active", "providers": [provider()]}});
        assert!(parse(&v, Profile::Spec).is_ok());
        let e = parse(&v, Profile::Chromium).unwrap_err();
        assert_eq!(e.first().js_error_in(Profile::Chromium), JsError::NotSupportedError);
    }

    #[test]
    fn invalid_config_url_and_empty_client_id() {
        let v = json!({"identity": {"providers": [{"configURL": "/config.json", "clientId": ""}]}});
        let s = parse(&v, Profile::Spec).unwrap().value;
        assert!(s.providers[0].config_url.is_err(), "kept as a failure for the config fetch");
        let c = parse(&v, Profile::Chromium).unwrap_err();
        assert_eq!(c.errors().map(|p| p.rule.id()).collect::<Vec<_>>(), ["invalid-config-url", "empty-client-id"]);
        assert_eq!(c.first().js_error_in(Profile::Chromium), JsError::InvalidStateError);
    }

    #[test]
    fn too_many_providers_for_chromium() {
        let many: Vec<_> =
            (0..11).map(|i| json!({"configURL": format!("https://idp{i}.example/c"), "clientId": "1"})).collect();
        assert!(get(json!({ "providers": many.clone() })).is_ok());
        let r = parse(&json!({"identity": {"providers": many.clone()}}), Profile::Chromium);
        assert_eq!(error_ids(&r), ["too-many-providers"]);
        // Ten is the most Chromium takes.
        let ten = json!({"identity": {"providers": many[..10].to_vec()}});
        assert!(parse(&ten, Profile::Chromium).is_ok());
    }

    #[test]
    fn identity_null_and_non_string_members_convert_as_webidl_does() {
        // null converts to an empty dictionary: `providers` is missing.
        assert_eq!(error_ids(&parse(&json!({"identity": null}), Profile::Spec)), ["missing-required"]);
        // An enum takes the string conversion of any value: 5 is "5", not a mode.
        assert_eq!(error_ids(&get(json!({"providers": [provider()], "mode": 5}))), ["not-in-enum"]);
        assert_eq!(
            error_ids(&parse(&json!({"mediation": true, "identity": {"providers": [provider()]}}), Profile::Spec)),
            ["not-in-enum"]
        );
        // sequence<USVString>: entries convert; a number becomes its string.
        let mut p = provider();
        p["fields"] = json!(["name", 5]);
        let o = get(json!({ "providers": [p] })).unwrap().value;
        assert_eq!(o.providers[0].fields.as_deref().unwrap(), ["name", "5"]);
    }

    #[test]
    fn provider_level_nonce_is_kept_with_a_warning() {
        let mut p = provider();
        p["nonce"] = json!("abc");
        let r = get(json!({ "providers": [p] }));
        assert_eq!(warning_ids(&r), ["provider-level-nonce"]);
        assert_eq!(r.unwrap().value.providers[0].nonce.as_deref(), Some("abc"));
    }

    #[test]
    fn webidl_coerces_client_id_and_fields_must_be_a_list() {
        let r = get(json!({"providers": [{"configURL": "https://idp.example/c", "clientId": 123}]}));
        assert_eq!(r.unwrap().value.providers[0].client_id, "123");
        let mut p = provider();
        p["fields"] = json!("name");
        assert_eq!(error_ids(&get(json!({ "providers": [p] }))), ["wrong-type"]);
    }

    /// Chromium 156 reads a `fields` entry that is an object (an array too)
    /// as a dictionary whose `name` is required; the spec converts it to a
    /// string.
    #[test]
    fn a_fields_entry_may_be_a_dictionary_with_a_name_in_chromium() {
        let mut p = provider();
        p["fields"] = json!(["name", {"name": "email"}, "picture"]);
        let options = json!({"identity": { "providers": [p.clone()] }});
        let chromium = parse(&options, Profile::Chromium).unwrap().value;
        assert_eq!(chromium.providers[0].fields.as_deref().unwrap(), ["name", "email", "picture"]);
        let spec = parse(&options, Profile::Spec).unwrap().value;
        assert_eq!(spec.providers[0].fields.as_deref().unwrap(), ["name", "[object Object]", "picture"]);
        p["fields"] = json!(["name", ["email"]]);
        let r = parse(&json!({"identity": { "providers": [p] }}), Profile::Chromium);
        assert_eq!(error_ids(&r), ["missing-required"]);
        assert!(r.unwrap_err().first().rule.is_conversion(), "a TypeError before any check");
    }
}
