//! The config file at the RP-supplied `configURL` (spec
//! `#idp-api-config-file`, fetched and checked in `#fetch-config-file`).
//!
//! Endpoints are resolved against the config URL and must be same-origin
//! with it. The spec checks `accounts_endpoint` and `login_url` when the
//! config arrives, and the others only when they are used, so a bad
//! `id_assertion_endpoint` fails after the user consented; that is why those
//! are [`Checked`] rather than plain [`Endpoint`]s. Chromium checks
//! `id_assertion_endpoint` up front too.

use super::{parse_document, Cx, ParseResult, Transport};
use crate::color::{self, Grammar, Rgb};
use crate::http::HttpResponse;
use crate::idl::{self, Dict, ListPolicy};
use crate::json::Json;
use crate::problem::{Document, Path, Problem, Rule};
use crate::profile::rules::{AssertionEndpointCheck, BrandColors, LoginStatusUse, WellKnownList};
use crate::profile::Profile;
use crate::urls::{ConfigUrl, Endpoint, UrlError};
use serde::Serialize;
use url::Url;

/// An endpoint whose same-origin check the spec defers to the step that
/// uses it: either usable, or the problem that step will report.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Checked<T> {
    /// Same-origin with the config and potentially trustworthy.
    Valid(T),
    /// Unusable; the step that needs it fails with this problem.
    Invalid(Problem),
}

impl<T> Checked<T> {
    /// The value, if it passed.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Checked::Valid(t) => Some(t),
            Checked::Invalid(_) => None,
        }
    }
}

/// The config file, with every endpoint resolved against the config URL.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
pub struct Config {
    /// Where the credentialed accounts GET goes; checked on arrival.
    pub accounts_endpoint: Endpoint,
    /// `accounts_endpoint` as the config wrote it, kept only where the
    /// well-known file is compared as strings (Firefox; decisions F7).
    pub accounts_endpoint_as_written: Option<String>,
    /// Where the assertion POST goes; checked when used (on arrival under Chromium).
    pub id_assertion_endpoint: Checked<Endpoint>,
    /// The IdP's sign-in page, opened in the login pop-up; checked on
    /// arrival. Required, except where the request ignores the Login Status
    /// API and so never reads it (`None`).
    pub login_url: Option<Endpoint>,
    /// Where the client metadata GET goes, if the IdP serves it.
    pub client_metadata_endpoint: Option<Checked<Endpoint>>,
    /// Where `disconnect()` POSTs, if the IdP supports it.
    pub disconnect_endpoint: Option<Checked<Endpoint>>,
    /// How the browser's dialog may show the IdP.
    pub branding: Option<Branding>,
    /// Whether the chooser offers "use another account": in active mode
    /// (spec `#create-identity-credential`), in either mode (Chromium).
    pub supports_use_other_account: bool,
    /// Only accounts whose `label_hints` contain it are shown.
    pub account_label: Option<String>,
    /// IdP Registration (not in the FedCM spec); the sign-in flow ignores it.
    pub types: Option<Vec<String>>,
}

impl Config {
    /// Problems with endpoints the spec only checks when they are used.
    pub fn deferred_problems(&self) -> impl Iterator<Item = &Problem> {
        [Some(&self.id_assertion_endpoint), self.client_metadata_endpoint.as_ref(), self.disconnect_endpoint.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|c| match c {
                Checked::Invalid(p) => Some(p),
                Checked::Valid(_) => None,
            })
    }
}

/// `branding`: how the browser's dialog may show the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default, Hash)]
pub struct Branding {
    /// A CSS color for the dialog's background, read in the profile's
    /// grammar (decisions A60).
    pub background_color: Option<Rgb>,
    /// A CSS color for text on that background.
    pub color: Option<Rgb>,
    /// The usable icons, in document order.
    pub icons: Vec<Icon>,
    /// The IdP's name for the dialog.
    pub name: Option<String>,
}

/// One usable `branding.icons` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct Icon {
    /// Resolved against the config URL (the spec does not say against what;
    /// Chromium resolves IdP icons against the config URL).
    pub url: String,
    /// Pixels; may be omitted for SVG.
    pub size: Option<u32>,
}

/// Members earlier drafts or Chromium-only syntax used, and what replaced them.
const LEGACY_MEMBERS: &[(&str, &str)] = &[
    ("id_token_endpoint", "id_assertion_endpoint"),
    ("signin_url", "login_url"),
    ("client_id_metadata_endpoint", "client_metadata_endpoint"),
    ("revocation_endpoint", "disconnect_endpoint"),
];

/// Parses a config file fetched from `config_url` (the base of its endpoints).
pub fn parse(response: &HttpResponse, config_url: &ConfigUrl, profile: Profile) -> ParseResult<Config> {
    let document = Document::Config;
    let root = Path::Root;
    parse_document(document, response, profile, Transport::default(), |cx, dict| {
        for (old, new) in LEGACY_MEMBERS {
            if dict.get(old).is_some() {
                cx.warn(&root.field(old), Rule::LegacyMember { replacement: new });
            }
        }

        let accounts_endpoint = required_endpoint(cx, config_url, dict, "accounts_endpoint");
        let accounts_endpoint_as_written = (profile.rules().well_known_list == WellKnownList::ContainsString)
            .then(|| dict.get("accounts_endpoint").map(idl::to_js_string))
            .flatten();
        // Without the Login Status API there is no login pop-up, and
        // `login_url` is not part of the config (Firefox; decisions F4).
        let login_url = match profile.rules().login_status {
            LoginStatusUse::Consulted => required_endpoint(cx, config_url, dict, "login_url").map(Some),
            LoginStatusUse::Ignored => Some(None),
        };
        let id_assertion_endpoint = match profile.rules().assertion_endpoint_check {
            // Chromium validates it with the others; the spec defers the check.
            AssertionEndpointCheck::WithConfig => {
                required_endpoint(cx, config_url, dict, "id_assertion_endpoint").map(Checked::Valid)
            }
            AssertionEndpointCheck::WhenUsed => deferred_endpoint(cx, config_url, dict, "id_assertion_endpoint", true),
        };
        let client_metadata_endpoint = deferred_endpoint(cx, config_url, dict, "client_metadata_endpoint", false);
        let disconnect_endpoint = deferred_endpoint(cx, config_url, dict, "disconnect_endpoint", false);

        let branding = idl::member_dictionary(cx, &root.field("branding"), dict.get("branding"))
            .map(|b| branding(cx, config_url, b));
        let supports_use_other_account =
            idl::boolean(cx, &root.field("supports_use_other_account"), dict.get("supports_use_other_account"))
                .unwrap_or(false);
        if dict.get("modes").is_some() {
            // Chromium's earlier syntax; Chromium 156 no longer reads it.
            cx.warn(&root.field("modes"), Rule::LegacyMember { replacement: "supports_use_other_account" });
        }
        let account_label = idl::string(cx, &root.field("account_label"), dict.get("account_label")).map(String::from);
        if let Some(Json::Object(_)) = dict.get("accounts") {
            // `accounts.include`, Chromium's earlier syntax; 156 ignores it.
            cx.warn(&root.field("accounts"), Rule::LegacyMember { replacement: "account_label" });
        }
        let types = idl::string_list(cx, &root.field("types"), dict.get("types"), ListPolicy::Lenient)
            .map(|v| v.into_iter().map(String::from).collect());

        match (accounts_endpoint, login_url, id_assertion_endpoint) {
            (Some(accounts_endpoint), Some(login_url), Some(id_assertion_endpoint)) => Some(Config {
                accounts_endpoint,
                accounts_endpoint_as_written,
                id_assertion_endpoint,
                login_url,
                client_metadata_endpoint,
                disconnect_endpoint,
                branding,
                supports_use_other_account,
                account_label,
                types,
            }),
            _ => None,
        }
    })
}

/// A member that must be present and same-origin when the config arrives.
fn required_endpoint(cx: &mut Cx, config_url: &ConfigUrl, dict: Dict, name: &'static str) -> Option<Endpoint> {
    let path = Path::Root.field(name);
    let value = idl::required_string(cx, &path, dict.get(name))?;
    match resolve(cx.profile, config_url, &value) {
        Ok(endpoint) => Some(endpoint),
        Err(e) => {
            cx.error(&path, Rule::Url(e));
            None
        }
    }
}

/// A member whose URL check waits until the endpoint is used. `required`
/// makes absence an error now (WebIDL `required`).
fn deferred_endpoint(
    cx: &mut Cx,
    config_url: &ConfigUrl,
    dict: Dict,
    name: &'static str,
    required: bool,
) -> Option<Checked<Endpoint>> {
    let path = Path::Root.field(name);
    let value = if required {
        idl::required_string(cx, &path, dict.get(name))?
    } else {
        idl::string(cx, &path, dict.get(name))?
    };
    Some(match resolve(cx.profile, config_url, &value) {
        Ok(endpoint) => Checked::Valid(endpoint),
        Err(e) => {
            let problem = Problem::error(Document::Config, Some(name.to_string()), Rule::Url(e));
            Checked::Invalid(problem)
        }
    })
}

/// Chromium turns an empty string into an empty (invalid) URL; WebIDL and
/// the URL parser resolve it to the config URL itself.
fn resolve(profile: Profile, config_url: &ConfigUrl, value: &str) -> Result<Endpoint, UrlError> {
    if value.is_empty() && profile.rules().empty_url_invalid {
        return Err(UrlError::Unparsable { value: String::new(), reason: "empty string".into() });
    }
    if !profile.rules().endpoints_same_origin {
        return config_url.resolve_anywhere(value);
    }
    config_url.resolve(value)
}

fn branding(cx: &mut Cx, config_url: &ConfigUrl, dict: Dict) -> Branding {
    let root = Path::Root;
    let path = root.field("branding");
    let color = |cx: &mut Cx, name: &'static str| {
        let p = path.field(name);
        let value = idl::string(cx, &p, dict.get(name))?;
        let grammar = match cx.profile.rules().brand_colors {
            BrandColors::Contrast => Grammar::Chromium,
            BrandColors::AsGiven | BrandColors::Unused => Grammar::Css,
        };
        let rgb = color::parse(&value, grammar);
        if rgb.is_none() {
            cx.warn(&p, Rule::InvalidColor { value: value.into_owned() });
        }
        rgb
    };
    let background_color = color(cx, "background_color");
    let text_color = color(cx, "color");
    let name = idl::string(cx, &path.field("name"), dict.get("name")).map(String::from);
    let icons = super::icons::parse(cx, Some(config_url.url()), &path.field("icons"), dict.get("icons"));
    Branding { background_color, color: text_color, icons, name }
}

/// Icons the config lists, parsed into URLs (for drivers that fetch them).
pub fn icon_urls(config: &Config) -> Vec<Url> {
    config.branding.iter().flat_map(|b| &b.icons).filter_map(|i| Url::parse(&i.url).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    const MINIMAL: &str = r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assert","login_url":"/login"}"#;

    fn url() -> ConfigUrl {
        ConfigUrl::parse("https://idp.example/fedcm/config.json").unwrap()
    }
    fn spec(body: &str) -> ParseResult<Config> {
        parse(&ok(body), &url(), Profile::Spec)
    }
    fn chromium(body: &str) -> ParseResult<Config> {
        parse(&ok(body), &url(), Profile::Chromium)
    }
    fn with(extra: &str) -> String {
        format!("{},{extra}}}", MINIMAL.trim_end_matches('}'))
    }

    #[test]
    fn minimal_config_resolves_relative_endpoints() {
        for p in Profile::ALL {
            let c = parse(&ok(MINIMAL), &url(), p).unwrap().value;
            assert_eq!(c.accounts_endpoint.as_str(), "https://idp.example/accounts");
            // Firefox does not read login_url.
            let login = c.login_url.as_ref().map(|u| u.as_str());
            let expected = (p.rules().login_status == LoginStatusUse::Consulted).then_some("https://idp.example/login");
            assert_eq!(login, expected, "{p}");
            assert_eq!(c.id_assertion_endpoint.valid().unwrap().as_str(), "https://idp.example/assert");
            assert!(!c.supports_use_other_account);
        }
    }

    #[test]
    fn each_required_member_missing_fails() {
        for name in ["accounts_endpoint", "id_assertion_endpoint", "login_url"] {
            let body = MINIMAL.replace(&format!("\"{name}\""), "\"x_unknown\"");
            // Firefox's config has no login_url (decisions F4).
            let reads = |p: &Profile| name != "login_url" || p.rules().login_status == LoginStatusUse::Consulted;
            for p in Profile::ALL.into_iter().filter(reads) {
                let r = parse(&ok(&body), &url(), p);
                assert_eq!(error_ids(&r), ["missing-required"], "{name} {p}");
                assert_eq!(fields(&r), [name]);
            }
        }
    }

    #[test]
    fn cross_origin_accounts_and_login_fail_now() {
        for name in ["accounts_endpoint", "login_url"] {
            let body = MINIMAL.replace(&format!("\"{name}\":\"/"), &format!("\"{name}\":\"https://evil.example/"));
            assert_eq!(error_ids(&spec(&body)), ["url-cross-origin"], "{name}");
        }
    }

    #[test]
    fn cross_origin_assertion_endpoint_is_deferred_in_spec_and_rejected_by_chromium() {
        let body = MINIMAL.replace("\"/assert\"", "\"https://evil.example/assert\"");
        let c = spec(&body).unwrap().value;
        assert!(matches!(c.id_assertion_endpoint, Checked::Invalid(_)));
        assert_eq!(c.deferred_problems().count(), 1);
        assert_eq!(error_ids(&chromium(&body)), ["url-cross-origin"]);
    }

    #[test]
    fn untrustworthy_and_unparsable_endpoints() {
        let url = ConfigUrl::parse("http://localhost:8080/config.json").unwrap();
        let body = MINIMAL.replace("\"/accounts\"", "\"http://localhost:9090/accounts\"");
        assert_eq!(error_ids(&parse(&ok(&body), &url, Profile::Spec)), ["url-cross-origin"]);
        let body = MINIMAL.replace("\"/accounts\"", "\"https://[::1\"");
        assert_eq!(error_ids(&spec(&body)), ["url-unparsable"]);
    }

    #[test]
    fn empty_endpoint_string_is_the_config_url_in_spec_and_invalid_in_chromium() {
        let body = MINIMAL.replace("\"/accounts\"", "\"\"");
        assert_eq!(spec(&body).unwrap().value.accounts_endpoint.as_str(), "https://idp.example/fedcm/config.json");
        assert_eq!(error_ids(&chromium(&body)), ["url-unparsable"]);
    }

    #[test]
    fn wrong_typed_endpoint_is_coerced_by_spec_and_missing_for_chromium() {
        let body = MINIMAL.replace("\"/accounts\"", "5");
        let c = spec(&body).unwrap();
        assert_eq!(c.value.accounts_endpoint.as_str(), "https://idp.example/fedcm/5");
        assert!(warning_ids(&Ok(c)).contains(&"coerced"));
        assert_eq!(error_ids(&chromium(&body)), ["wrong-type"]);
    }

    #[test]
    fn branding_icons_and_colors() {
        let body = with(
            r##""branding":{"background_color":"#1a73e8","color":"white","name":"IdP","icons":[{"url":"icon.png","size":32},{"url":"https://cdn.example/i.svg"}]}"##,
        );
        for p in Profile::ALL {
            let b = parse(&ok(&body), &url(), p).unwrap().value.branding.unwrap();
            assert_eq!(b.background_color, Some(Rgb(0x1a, 0x73, 0xe8)));
            assert_eq!(b.icons[0], Icon { url: "https://idp.example/fedcm/icon.png".into(), size: Some(32) });
            assert_eq!(b.icons[1].size, None);
        }
    }

    #[test]
    fn icon_without_url_fails_whole_config_in_spec_but_is_skipped_by_chromium() {
        let body = with(r#""branding":{"icons":[{"size":32}]}"#);
        assert_eq!(error_ids(&spec(&body)), ["missing-required"]);
        assert_eq!(fields(&spec(&body)), ["branding.icons[0].url"]);
        let c = chromium(&body).unwrap();
        assert!(c.value.branding.as_ref().unwrap().icons.is_empty());
        assert_eq!(warning_ids(&Ok(c)), ["icon-unusable"]);
    }

    #[test]
    fn branding_of_wrong_type() {
        assert_eq!(error_ids(&spec(&with(r#""branding":"blue""#))), ["wrong-type"]);
        assert!(chromium(&with(r#""branding":"blue""#)).unwrap().value.branding.is_none());
        assert_eq!(error_ids(&spec(&with(r#""branding":{"icons":{}}"#))), ["wrong-type"]);
    }

    #[test]
    fn invalid_color_is_dropped_with_a_warning() {
        let r = spec(&with(r#""branding":{"background_color":"not-a-color"}"#));
        assert_eq!(warning_ids(&r), ["invalid-color"]);
        assert_eq!(r.unwrap().value.branding.unwrap().background_color, None);
        for ok_color in ["#abc", "rgb(1, 2, 3)", "hsl(120deg 50% 50%)", "rebeccapurple", "rgba(0,0,0,0.5)"] {
            assert!(color::parse(ok_color, Grammar::Css).is_some(), "{ok_color}");
        }
        for bad in ["#ab", "rgb(1,2)", "url(x)", "blu"] {
            assert!(color::parse(bad, Grammar::Css).is_none(), "{bad}");
        }
        // Chromium reads a stricter grammar: a CSS 4 colour is invalid there.
        let r = chromium(&with(r#""branding":{"background_color":"rgb(1 2 3)","color":"white"}"#));
        assert_eq!(warning_ids(&r), ["invalid-color"]);
        let b = r.unwrap().value.branding.unwrap();
        assert_eq!((b.background_color, b.color), (None, Some(Rgb::WHITE)));
    }

    #[test]
    fn supports_use_other_account_and_its_pitfalls() {
        let c = spec(&with(r#""supports_use_other_account":true"#)).unwrap().value;
        assert!(c.supports_use_other_account);
        // ToBoolean("false") is true under WebIDL; Chromium ignores the string.
        let r = spec(&with(r#""supports_use_other_account":"false""#));
        assert_eq!(warning_ids(&r), ["coerced"]);
        assert!(r.unwrap().value.supports_use_other_account);
        assert!(!chromium(&with(r#""supports_use_other_account":"false""#)).unwrap().value.supports_use_other_account);
    }

    #[test]
    fn legacy_syntax_is_read_by_neither_profile() {
        // Chromium 156 reads neither `modes` nor `accounts.include` (both
        // measured with fedcm browser).
        let body = with(r#""modes":{"active":{"supports_use_other_account":true}},"accounts":{"include":"work"}"#);
        for r in [spec(&body), chromium(&body)] {
            assert_eq!(warning_ids(&r), ["legacy-member", "legacy-member"]);
            let c = r.unwrap().value;
            assert!(!c.supports_use_other_account && c.account_label.is_none());
        }
    }

    #[test]
    fn account_label_is_read_and_the_legacy_include_is_not() {
        assert_eq!(spec(&with(r#""account_label":"l1""#)).unwrap().value.account_label.as_deref(), Some("l1"));
        let both = with(r#""account_label":"l1","accounts":{"include":"l2"}"#);
        assert_eq!(chromium(&both).unwrap().value.account_label.as_deref(), Some("l1"));
    }

    #[test]
    fn legacy_member_names_get_a_hint() {
        let body = r#"{"accounts_endpoint":"/a","id_token_endpoint":"/t","login_url":"/l"}"#;
        let r = spec(body);
        assert_eq!(error_ids(&r), ["missing-required"]);
        assert!(r.unwrap_err().warnings.iter().any(|w| w.rule.id() == "legacy-member"));
    }

    #[test]
    fn all_errors_are_reported_not_just_the_first() {
        let r = spec(r#"{"accounts_endpoint":"https://evil.example/a","branding":{"icons":[{}]}}"#);
        assert_eq!(error_ids(&r).len(), 4, "{r:?}");
    }

    #[test]
    fn optional_endpoints_and_types() {
        let c = spec(&with(r#""disconnect_endpoint":"/disconnect","client_metadata_endpoint":"https://x.example/m","types":["indieauth"]"#))
            .unwrap()
            .value;
        assert_eq!(c.disconnect_endpoint.unwrap().valid().unwrap().as_str(), "https://idp.example/disconnect");
        assert!(matches!(c.client_metadata_endpoint, Some(Checked::Invalid(_))));
        assert_eq!(c.types.unwrap(), ["indieauth"]);
    }

    /// Firefox resolves endpoints against the config URL wherever they
    /// point, and needs no login_url (decisions F3, F4).
    #[test]
    fn firefox_takes_endpoints_of_any_origin() {
        let body = r#"{"accounts_endpoint":"https://other.example/a","id_assertion_endpoint":"http://x.example/t"}"#;
        let c = parse(&ok(body), &url(), Profile::Firefox).unwrap().value;
        assert_eq!(c.accounts_endpoint.as_str(), "https://other.example/a");
        assert_eq!(c.id_assertion_endpoint.valid().unwrap().as_str(), "http://x.example/t");
        assert!(c.login_url.is_none());
        assert_eq!(error_ids(&spec(body)), ["url-cross-origin", "missing-required"]);
    }

    #[test]
    fn invalid_disconnect_endpoint_is_held_checked_and_cited_where_used() {
        for p in Profile::ALL.into_iter().filter(|p| p.rules().endpoints_same_origin) {
            let c = parse(&ok(&with(r#""disconnect_endpoint":"https://evil.example/d""#)), &url(), p).unwrap().value;
            let Some(Checked::Invalid(problem)) = c.disconnect_endpoint else { panic!("{p}") };
            assert_eq!(problem.rule.id(), "url-cross-origin");
            // Cited in the disconnect algorithm, where the spec checks it.
            assert_eq!(problem.anchor(), Some("disconnect-request"));
        }
    }

    #[test]
    fn unusable_icon_urls_are_skipped_with_a_warning() {
        for icon in [r#"{"url":"data:image/png;base64,AA"}"#, r#"{"url":"https://[::1"}"#] {
            let body = with(&format!(r#""branding":{{"icons":[{icon},{{"url":"ok.png"}}]}}"#));
            for p in Profile::ALL {
                let r = parse(&ok(&body), &url(), p);
                assert_eq!(warning_ids(&r), ["icon-unusable"], "{icon} {p}");
                let icons = r.unwrap().value.branding.unwrap().icons;
                assert_eq!(icons.len(), 1);
                assert_eq!(icons[0].url, "https://idp.example/fedcm/ok.png");
            }
        }
    }

    #[test]
    fn icon_size_is_an_unsigned_long() {
        let size = |json: &str, p: Profile| {
            let body = with(&format!(r#""branding":{{"icons":[{{"url":"i.png","size":{json}}}]}}"#));
            parse(&ok(&body), &url(), p).map(|c| c.value.branding.unwrap().icons[0].size)
        };
        // WebIDL: "32" converts to 32 and 31.9 truncates to 31.
        assert_eq!(size(r#""32""#, Profile::Spec).unwrap(), Some(32));
        assert_eq!(size("31.9", Profile::Spec).unwrap(), Some(31));
        assert_eq!(size("32", Profile::Chromium).unwrap(), Some(32));
        // Chromium reads JSON numbers only: a string size is no size.
        assert_eq!(size(r#""32""#, Profile::Chromium).unwrap(), None);
    }

    #[test]
    fn every_legacy_member_name_is_flagged() {
        for (old, _) in LEGACY_MEMBERS {
            let r = spec(&with(&format!(r#""{old}":"/x""#)));
            assert!(warning_ids(&r).contains(&"legacy-member"), "{old}: {r:?}");
        }
    }

    #[test]
    fn top_level_shapes() {
        assert_eq!(error_ids(&spec("[]")), ["missing-required", "missing-required", "missing-required"]);
        assert_eq!(error_ids(&chromium("[]")), ["not-an-object"]);
        assert_eq!(error_ids(&spec("42")), ["not-an-object"]);
        assert_eq!(error_ids(&spec("{")), ["invalid-json"]);
    }
}
