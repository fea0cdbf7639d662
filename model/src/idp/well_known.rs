//! The well-known file, `/.well-known/web-identity` at the IdP's registrable
//! domain (spec `#idp-api-well-known`, checked in `#fetch-config-file`).
//!
//! It pins which config files may be used by RPs on other sites: either a
//! single `provider_urls` entry naming the config URL, or (since 2024-11)
//! an `accounts_endpoint` + `login_url` pair that every allowed config must
//! share.

use super::config::Config;
use super::{parse_document, ParseResult, Transport};
use crate::http::HttpResponse;
use crate::idl::{self, ListPolicy};
use crate::problem::{Document, Path, Problem, Rule};
use crate::profile::rules::WellKnownList;
use crate::profile::Profile;
use crate::urls::ConfigUrl;
use serde::Serialize;

/// The well-known file: which config files the IdP allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct WellKnown {
    /// The allowed config URLs, as written (resolved only when checked).
    pub provider_urls: Vec<String>,
    /// The accounts endpoint every allowed config must use, as written.
    pub accounts_endpoint: Option<String>,
    /// The login URL every allowed config must use, as written.
    pub login_url: Option<String>,
}

impl WellKnown {
    /// Both members of the newer "direct endpoints" form are present.
    pub fn has_endpoint_pair(&self) -> bool {
        self.accounts_endpoint.is_some() && self.login_url.is_some()
    }
}

/// Parses the well-known file.
pub fn parse(response: &HttpResponse, profile: Profile) -> ParseResult<WellKnown> {
    let document = Document::WellKnown;
    let root = Path::Root;
    parse_document(document, response, profile, Transport::default(), |cx, dict| {
        fn non_empty(s: Option<std::borrow::Cow<'_, str>>, profile: Profile) -> Option<std::borrow::Cow<'_, str>> {
            s.filter(|s| profile.coerces_types() || !s.is_empty())
        }
        let accounts_endpoint =
            non_empty(idl::string(cx, &root.field("accounts_endpoint"), dict.get("accounts_endpoint")), profile);
        let login_url = non_empty(idl::string(cx, &root.field("login_url"), dict.get("login_url")), profile);
        let pair = accounts_endpoint.is_some() && login_url.is_some();

        let path = root.field("provider_urls");
        let raw = dict.get("provider_urls");
        let list = profile.rules().well_known_list;
        let provider_urls = match (raw, profile) {
            // Chromium needs provider_urls unless the direct-endpoints pair is given.
            // Firefox: `provider_urls` is a required member.
            (None, _) if list == WellKnownList::ContainsString || (!pair && list == WellKnownList::AnyOfSet) => {
                cx.error(&path, Rule::MissingRequired);
                None
            }
            _ => idl::string_list(cx, &path, raw, ListPolicy::Strict),
        };
        let mut provider_urls: Vec<String> = provider_urls.unwrap_or_default().into_iter().map(Into::into).collect();
        if list == WellKnownList::AnyOfSet {
            // Chromium keeps the entries in a set: repeats collapse.
            let mut seen = std::collections::HashSet::new();
            provider_urls.retain(|u| seen.insert(u.clone()));
        }
        // The spec fails a list of more than one even when the pair is
        // present; Chromium only without the pair.
        // Firefox allows several entries on its own terms (checked in `check`).
        let pair_excuses = (list == WellKnownList::AnyOfSet && pair) || list == WellKnownList::ContainsString;
        if provider_urls.len() > 1 && !pair_excuses {
            cx.error(&path, Rule::TooManyProviderUrls { count: provider_urls.len() })
        }
        if provider_urls.is_empty() && !pair && !cx.has_errors() {
            cx.error(&path, Rule::NoProviderUrls);
        }
        if accounts_endpoint.is_some() != login_url.is_some() {
            let missing = if accounts_endpoint.is_none() { "accounts_endpoint" } else { "login_url" };
            cx.warn(&root.field(missing), Rule::MissingRequired);
        }
        let value = WellKnown {
            provider_urls,
            accounts_endpoint: accounts_endpoint.map(Into::into),
            login_url: login_url.map(Into::into),
        };
        Some(value)
    })
}

/// The "check accounts and login url" step of `#fetch-config-file`: does
/// this well-known file allow `config`, fetched from `config_url`?
pub fn check(well_known: &WellKnown, config_url: &ConfigUrl, config: &Config, profile: Profile) -> Result<(), Problem> {
    let err = |field: &str, rule| Err(Problem::error(Document::WellKnown, Some(field.to_string()), rule));
    if profile.rules().well_known_list == WellKnownList::ContainsString {
        return check_as_strings(well_known, config_url, config);
    }
    // The spec resolves entries against the config URL, with the
    // same-origin rule; Chromium resolves them against the well-known URL.
    let exactly_one = profile.rules().well_known_list == WellKnownList::ExactlyOne;
    let resolve = |field: &str, value: &str| -> Result<url::Url, Problem> {
        if exactly_one {
            config_url.resolve(value).map(crate::urls::Endpoint::into_url)
        } else {
            config_url
                .well_known_url()
                .join(value)
                .map_err(|e| crate::urls::UrlError::Unparsable { value: value.to_string(), reason: e.to_string() })
        }
        .map_err(|e| Problem::error(Document::WellKnown, Some(field.to_string()), Rule::Url(e)))
    };

    if profile.rules().well_known_pair_for_metadata
        && config.client_metadata_endpoint.is_some()
        && !well_known.has_endpoint_pair()
    {
        return err("accounts_endpoint", Rule::WellKnownPairRequired);
    }
    if let (Some(accounts), Some(login)) = (&well_known.accounts_endpoint, &well_known.login_url) {
        for (field, value, expected) in [
            ("accounts_endpoint", accounts, Some(config.accounts_endpoint.url())),
            ("login_url", login, config.login_url.as_ref().map(|u| u.url())),
        ] {
            let Some(expected) = expected else { continue };
            let resolved = resolve(field, value)?;
            if &resolved != expected {
                return err(
                    field,
                    Rule::WellKnownEndpointMismatch { well_known: resolved.to_string(), config: expected.to_string() },
                );
            }
        }
        return Ok(());
    }
    let Some(first) = well_known.provider_urls.first() else {
        return err("provider_urls", Rule::NoProviderUrls);
    };
    let allowed: Vec<url::Url> = if exactly_one {
        vec![resolve("provider_urls[0]", first)?]
    } else {
        well_known
            .provider_urls
            .iter()
            .enumerate()
            .map(|(i, u)| resolve(&format!("provider_urls[{i}]"), u))
            .collect::<Result<_, _>>()?
    };
    if allowed.iter().any(|u| u == config_url.url()) {
        Ok(())
    } else {
        err(
            "provider_urls",
            Rule::ConfigNotInWellKnown {
                config_url: config_url.url().to_string(),
                listed: allowed.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", "),
            },
        )
    }
}

/// Firefox's check (decisions F7): the RP's `configURL` string must be an
/// entry, compared as strings with no URL parsing; a file with other than
/// one entry must also name the config's `accounts_endpoint`, as written.
fn check_as_strings(well_known: &WellKnown, config_url: &ConfigUrl, config: &Config) -> Result<(), Problem> {
    let err = |field: &str, rule| Err(Problem::error(Document::WellKnown, Some(field.to_string()), rule));
    if !well_known.provider_urls.iter().any(|u| u == config_url.as_str()) {
        return err(
            "provider_urls",
            Rule::ConfigNotInWellKnown {
                config_url: config_url.as_str().to_string(),
                listed: well_known.provider_urls.join(", "),
            },
        );
    }
    let written = config.accounts_endpoint_as_written.as_deref();
    if well_known.provider_urls.len() != 1 && (well_known.accounts_endpoint.as_deref() != written || written.is_none())
    {
        let absent = || "(absent)".to_string();
        return err(
            "accounts_endpoint",
            Rule::WellKnownEndpointMismatch {
                well_known: well_known.accounts_endpoint.clone().unwrap_or_else(absent),
                config: written.map_or_else(absent, String::from),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn spec(body: &str) -> ParseResult<WellKnown> {
        parse(&ok(body), Profile::Spec)
    }
    fn chromium(body: &str) -> ParseResult<WellKnown> {
        parse(&ok(body), Profile::Chromium)
    }
    fn config() -> (ConfigUrl, Config) {
        let url = ConfigUrl::parse("https://idp.example/fedcm/config.json").unwrap();
        let body = r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assert","login_url":"/login"}"#;
        let cfg = super::super::config::parse(&ok(body), &url, Profile::Spec).unwrap().value;
        (url, cfg)
    }

    #[test]
    fn single_provider_url_is_accepted_and_checked() {
        let (url, cfg) = config();
        for p in Profile::ALL {
            let wk = parse(&ok(r#"{"provider_urls":["https://idp.example/fedcm/config.json"]}"#), p).unwrap().value;
            assert_eq!(check(&wk, &url, &cfg, p), Ok(()));
            let other = parse(&ok(r#"{"provider_urls":["https://idp.example/other.json"]}"#), p).unwrap().value;
            assert_eq!(check(&other, &url, &cfg, p).unwrap_err().rule.id(), "config-not-in-well-known");
        }
    }

    #[test]
    fn relative_provider_url_resolves_against_config_in_spec_and_well_known_in_chromium() {
        let (url, cfg) = config();
        let wk = spec(r#"{"provider_urls":["config.json"]}"#).unwrap().value;
        assert_eq!(check(&wk, &url, &cfg, Profile::Spec), Ok(()));
        // Chromium: "config.json" against /.well-known/web-identity is /.well-known/config.json.
        assert!(check(&wk, &url, &cfg, Profile::Chromium).is_err());
    }

    #[test]
    fn more_than_one_provider_url_fails() {
        assert_eq!(error_ids(&spec(r#"{"provider_urls":["a","b"]}"#)), ["too-many-provider-urls"]);
        assert_eq!(error_ids(&chromium(r#"{"provider_urls":["a","b"]}"#)), ["too-many-provider-urls"]);
        // Chromium collapses repeats; the spec counts them.
        assert!(chromium(r#"{"provider_urls":["a","a"]}"#).is_ok());
        assert!(spec(r#"{"provider_urls":["a","a"]}"#).is_err());
    }

    #[test]
    fn pair_with_many_provider_urls_fails_in_spec_only() {
        let body = r#"{"provider_urls":["a","b"],"accounts_endpoint":"/accounts","login_url":"/login"}"#;
        assert_eq!(error_ids(&spec(body)), ["too-many-provider-urls"]);
        assert!(chromium(body).is_ok());
    }

    #[test]
    fn endpoint_pair_must_match_config() {
        let (url, cfg) = config();
        for p in Profile::ALL.into_iter().filter(|p| p.rules().well_known_list != WellKnownList::ContainsString) {
            let wk = parse(&ok(r#"{"accounts_endpoint":"https://idp.example/accounts","login_url":"/login"}"#), p)
                .unwrap()
                .value;
            assert_eq!(check(&wk, &url, &cfg, p), Ok(()), "{p}");
            let bad = parse(&ok(r#"{"accounts_endpoint":"/other","login_url":"/login"}"#), p).unwrap().value;
            assert_eq!(check(&bad, &url, &cfg, p).unwrap_err().rule.id(), "well-known-endpoint-mismatch");
        }
    }

    /// Firefox compares strings: the RP's configURL as written must be an
    /// entry, and with several entries the accounts endpoint as written
    /// must match too (decisions F7).
    #[test]
    fn firefox_compares_strings() {
        let (url, _) = config();
        let body = r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assert"}"#;
        let cfg = super::super::config::parse(&ok(body), &url, Profile::Firefox).unwrap().value;
        let ff = |body: &str| parse(&ok(body), Profile::Firefox).unwrap().value;
        let one = ff(r#"{"provider_urls":["https://idp.example/fedcm/config.json"]}"#);
        assert_eq!(check(&one, &url, &cfg, Profile::Firefox), Ok(()));
        // The same URL, written otherwise: not the same string.
        let other = ff(r#"{"provider_urls":["https://IDP.example/fedcm/config.json"]}"#);
        assert_eq!(check(&other, &url, &cfg, Profile::Firefox).unwrap_err().rule.id(), "config-not-in-well-known");
        let two = r#"{"provider_urls":["https://idp.example/fedcm/config.json","https://idp.example/b"]"#;
        let with = ff(&format!(r#"{two},"accounts_endpoint":"/accounts"}}"#));
        assert_eq!(check(&with, &url, &cfg, Profile::Firefox), Ok(()));
        let resolved = ff(&format!(r#"{two},"accounts_endpoint":"https://idp.example/accounts"}}"#));
        let err = check(&resolved, &url, &cfg, Profile::Firefox).unwrap_err();
        assert_eq!(err.rule.id(), "well-known-endpoint-mismatch");
        assert_eq!(
            error_ids(&parse(&ok(r#"{"accounts_endpoint":"/a","login_url":"/l"}"#), Profile::Firefox)),
            ["missing-required"]
        );
    }

    #[test]
    fn empty_or_missing_list_fails() {
        assert_eq!(error_ids(&spec("{}")), ["no-provider-urls"]);
        assert_eq!(error_ids(&spec(r#"{"provider_urls":[]}"#)), ["no-provider-urls"]);
        assert_eq!(error_ids(&chromium("{}")), ["missing-required"]);
        assert_eq!(error_ids(&chromium(r#"{"provider_urls":[]}"#)), ["no-provider-urls"]);
        // Only half of the pair: falls back to provider_urls, with a warning.
        let half = spec(r#"{"provider_urls":["x"],"login_url":"/login"}"#);
        assert_eq!(warning_ids(&half), ["missing-required"]);
    }

    #[test]
    fn wrong_types() {
        assert_eq!(error_ids(&spec(r#"{"provider_urls":"https://idp.example/c"}"#)), ["wrong-type"]);
        assert_eq!(error_ids(&chromium(r#"{"provider_urls":[5]}"#)), ["wrong-type"]);
        // WebIDL turns 5 into "5".
        assert_eq!(spec(r#"{"provider_urls":[5]}"#).unwrap().value.provider_urls, ["5"]);
        assert_eq!(error_ids(&spec(r#""x""#)), ["not-an-object"]);
        assert_eq!(error_ids(&chromium("null")), ["not-an-object"]);
        assert_eq!(error_ids(&spec("null")), ["no-provider-urls"]);
    }

    #[test]
    fn client_metadata_needs_the_pair_in_spec() {
        let url = ConfigUrl::parse("https://idp.example/fedcm/config.json").unwrap();
        let body = r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assert","login_url":"/login","client_metadata_endpoint":"/meta"}"#;
        let cfg = super::super::config::parse(&ok(body), &url, Profile::Spec).unwrap().value;
        let wk = spec(r#"{"provider_urls":["https://idp.example/fedcm/config.json"]}"#).unwrap().value;
        assert_eq!(check(&wk, &url, &cfg, Profile::Spec).unwrap_err().rule.id(), "well-known-pair-required");
        assert_eq!(check(&wk, &url, &cfg, Profile::Chromium), Ok(()));
    }

    #[test]
    fn unusable_provider_urls_and_pair_entries_fail_the_check() {
        let (url, cfg) = config();
        for (body, rule) in [
            (r#"{"provider_urls":["http://idp.example/fedcm/config.json"]}"#, "url-cross-origin"),
            (r#"{"provider_urls":["https://[::1"]}"#, "url-unparsable"),
            (r#"{"accounts_endpoint":"https://evil.example/accounts","login_url":"/login"}"#, "url-cross-origin"),
        ] {
            let wk = spec(body).unwrap().value;
            let problem = check(&wk, &url, &cfg, Profile::Spec).unwrap_err();
            assert_eq!(problem.rule.id(), rule, "{body}");
        }
        // Chromium resolves without the origin rule: a foreign pair entry is
        // simply not the config's endpoint.
        let wk = chromium(r#"{"accounts_endpoint":"https://evil.example/accounts","login_url":"/login"}"#).unwrap();
        let problem = check(&wk.value, &url, &cfg, Profile::Chromium).unwrap_err();
        assert_eq!(problem.rule.id(), "well-known-endpoint-mismatch");
    }

    #[test]
    fn cross_origin_provider_url_fails_in_spec() {
        let (url, cfg) = config();
        let wk = spec(r#"{"provider_urls":["https://evil.example/fedcm/config.json"]}"#).unwrap().value;
        assert_eq!(check(&wk, &url, &cfg, Profile::Spec).unwrap_err().rule.id(), "url-cross-origin");
    }
}
