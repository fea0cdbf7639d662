//! The identity assertion response, from the credentialed CORS POST to
//! `id_assertion_endpoint` (spec `#idp-api-id-assertion-endpoint`,
//! processed in `#fetch-identity-assertion`).
//!
//! Members are looked at in the order error, token, continue_on. A
//! document that fails here is what the RP sees as an
//! `IdentityCredentialError` with empty `error` and `url`.

use super::{parse_document, Cx, ParseResult, Transport};
use crate::http::HttpResponse;
use crate::idl;
use crate::json::Json;
use crate::mutation::mutant;
use crate::problem::{Document, Path, Problem, Rule};
use crate::profile::rules::{AssertionStatus, ContinueOn, ErrorMember, ErrorUrlScope, ResponseChecks, TokenConversion};
use crate::profile::Profile;
use crate::urls::{is_potentially_trustworthy, registrable_domain, same_site, Endpoint, UrlError};
use serde::Serialize;
use url::Url;

/// What the identity assertion endpoint answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssertionResponse {
    /// Any JSON value (since 2025-08; a string before), passed to the RP
    /// unchanged. `null` counts as present.
    Token(serde_json::Value),
    /// Open this URL in a pop-up; `IdentityProvider.resolve()` there gives
    /// the token.
    ContinueOn(Url),
    /// `continue_on` was given but cannot be opened. Unlike a bad document
    /// this rejects with a plain `NetworkError` (the spec returns a bare
    /// failure here).
    ContinueOnRejected(Problem),
    /// The IdP's error, for an `IdentityCredentialError`.
    Error(IdpError),
}

/// The IdP's `error` member: what `IdentityCredentialError` carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdpError {
    /// `error.error` (OAuth-style code); `""` when absent.
    pub code: String,
    /// `error.url`, kept only when it is on the assertion endpoint's site.
    pub url: Option<Url>,
}

/// Parses the assertion response; `token_url` is the endpoint POSTed to (the base
/// and site for `continue_on` and `error.url`).
pub fn parse(response: &HttpResponse, token_url: &Endpoint, profile: Profile) -> ParseResult<AssertionResponse> {
    let document = Document::Assertion;
    // Chromium reads the body whatever the status, to honour an error
    // object on a 4xx/5xx; it still refuses a 404 outright. The spec, as
    // written, fails any non-2xx before reading the body.
    let rules = profile.rules();
    let any_status = rules.assertion_status == AssertionStatus::AnyBut404 && response.status != 404;
    let root = Path::Root;
    parse_document(document, response, profile, Transport { any_status }, |cx, dict| {
        if dict.get("id_token").is_some() && dict.get("token").is_none() {
            cx.warn(&root.field("id_token"), Rule::LegacyMember { replacement: "token" });
        }

        let error = match (dict.get("error"), rules.error_member) {
            (Some(_), ErrorMember::Unsupported) => {
                let instead = "there is no IdentityCredentialError; without a token the call fails with NetworkError";
                cx.warn(&root.field("error"), Rule::MemberNotRead { instead });
                None
            }
            (error, _) => error,
        };
        if let Some(value) = error {
            let path = root.field("error");
            let error = match (value, rules.error_member) {
                // Chromium only honours an object; a string is skipped.
                (Json::Object(_), _) | (_, ErrorMember::WebIdl) => idl::dictionary(cx, &path, value),
                (other, _) => {
                    cx.warn(&path, Rule::IgnoredWrongType { expected: "an object", found: other.json_type() });
                    None
                }
            };
            if let Some(error) = error {
                let mut code = idl::string(cx, &path.field("error"), error.get("error"));
                if let Some(legacy) = error.get("code") {
                    cx.warn(&path.field("code"), Rule::LegacyMember { replacement: "error.error" });
                    if rules.error_member == ErrorMember::ObjectWithLegacyCode && code.is_none() {
                        code = legacy.as_str().map(|s| s.to_owned().into());
                    }
                }
                let raw_url = idl::string(cx, &path.field("url"), error.get("url"));
                let url = raw_url.and_then(|raw| sanitize_error_url(cx, &path.field("url"), &raw, token_url));
                let value =
                    AssertionResponse::Error(IdpError { code: code.map(String::from).unwrap_or_default(), url });
                return Some(value);
            }
            if cx.has_errors() {
                return None;
            }
        }

        if !response.is_ok_status() && rules.response_checks == ResponseChecks::StatusAndType {
            // Only reachable in Chromium: no error object, so the status decides.
            cx.error(&Path::Root, Rule::HttpStatus { status: response.status });
            return None;
        }

        // What the token becomes is the generation's (decisions P13); under
        // `StringOnly` another type is no token at all.
        let token = dict.get("token").and_then(|token| match (rules.token, token) {
            (TokenConversion::Any, t) => Some(t.to_value()),
            (TokenConversion::ToString, Json::String(s)) => Some(serde_json::Value::String(s.to_string())),
            (TokenConversion::ToString, t) => {
                let text = idl::to_js_string(t);
                cx.warn(&root.field("token"), Rule::Coerced { found: t.json_type(), result: text.clone() });
                Some(serde_json::Value::String(text))
            }
            (TokenConversion::StringOnly, Json::String(s)) => Some(serde_json::Value::String(s.to_string())),
            (TokenConversion::StringOnly, other) => {
                cx.warn(
                    &root.field("token"),
                    Rule::IgnoredWrongType { expected: "a string", found: other.json_type() },
                );
                None
            }
        });
        if let Some(token) = token {
            return Some(AssertionResponse::Token(token));
        }

        if let Some(value) = dict.get("continue_on") {
            let path = root.field("continue_on");
            if let Some(raw) = idl::string(cx, &path, Some(value)) {
                let value = match continue_on(&raw, token_url, profile) {
                    Ok(url) => AssertionResponse::ContinueOn(url),
                    Err(reason) => {
                        let problem = Problem::error(document, path.render(), Rule::ContinueOnRejected { reason });
                        if rules.continue_on == ContinueOn::RelativeToEndpoint
                            && Url::options().base_url(Some(token_url.url())).parse(&raw).is_err()
                        {
                            // Chromium skips an unparsable continue_on and falls through.
                            cx.errors.push(problem);
                            return None;
                        }
                        AssertionResponse::ContinueOnRejected(problem)
                    }
                };
                return Some(value);
            }
        }

        cx.error(&Path::Root, Rule::NoAssertionResult);
        None
    })
}

/// The spec parses `continue_on` with no base (so a relative URL fails) and
/// requires the assertion endpoint's origin; Chromium resolves it against
/// the assertion endpoint and requires the config's origin (the same one,
/// since that endpoint is same-origin with the config).
fn continue_on(raw: &str, token_url: &Endpoint, profile: Profile) -> Result<Url, String> {
    let url = match profile.rules().continue_on {
        ContinueOn::Absolute => Url::parse(raw),
        ContinueOn::RelativeToEndpoint => token_url.url().join(raw),
    }
    .map_err(|e| UrlError::Unparsable { value: raw.to_string(), reason: e.to_string() }.to_string())?;
    if url.origin() != token_url.url().origin() {
        return Err(UrlError::CrossOrigin {
            url: url.to_string(),
            expected_origin: token_url.url().origin().ascii_serialization(),
        }
        .to_string());
    }
    Ok(url)
}

/// `error.url` is resolved against the assertion endpoint and kept only if
/// it stays on that endpoint's site; otherwise the RP gets `""`. The spec
/// parses any present value, so `""` names the endpoint itself; Chromium
/// treats an empty string as no URL.
fn sanitize_error_url(cx: &mut Cx, path: &Path, raw: &str, token_url: &Endpoint) -> Option<Url> {
    if raw.is_empty() && cx.profile.rules().error_member == ErrorMember::ObjectWithLegacyCode {
        return None;
    }
    let Ok(url) = token_url.url().join(raw) else {
        cx.warn(path, Rule::ErrorUrlDropped { url: raw.to_string(), reason: "not a valid URL" });
        return None;
    };
    if mutant!(KeepForeignErrorUrl) {
        return Some(url);
    }
    let keep = match cx.profile.rules().error_url_scope {
        // Same registrable domain (hosts without one must match exactly),
        // and potentially trustworthy.
        ErrorUrlScope::RegistrableDomain => {
            let same = match (registrable_domain(&url), registrable_domain(token_url.url())) {
                (Some(a), Some(b)) => a == b,
                (None, None) => url.host_str() == token_url.url().host_str(),
                _ => false,
            };
            if !same {
                Err("not the same registrable domain as the assertion endpoint")
            } else if !is_potentially_trustworthy(&url) {
                Err("not potentially trustworthy")
            } else {
                Ok(())
            }
        }
        // Same schemeful site: http:// on an https IdP is dropped.
        ErrorUrlScope::SchemefulSite => {
            if same_site(&url, token_url.url()) {
                Ok(())
            } else {
                Err("not same-site with the assertion endpoint")
            }
        }
    };
    match keep {
        Ok(()) => Some(url),
        Err(reason) => {
            cx.warn(path, Rule::ErrorUrlDropped { url: url.to_string(), reason });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::urls::ConfigUrl;
    use serde_json::json;

    fn endpoint() -> Endpoint {
        ConfigUrl::parse("https://idp.example/config.json").unwrap().resolve("/assert").unwrap()
    }
    fn run(body: &str, p: Profile) -> ParseResult<AssertionResponse> {
        parse(&ok(body), &endpoint(), p)
    }
    fn value(body: &str, p: Profile) -> AssertionResponse {
        run(body, p).unwrap().value
    }
    /// The profiles with an error API (all but Firefox).
    fn error_api() -> impl Iterator<Item = Profile> {
        Profile::ALL.into_iter().filter(|p| p.rules().error_member != ErrorMember::Unsupported)
    }

    /// Firefox reads no `error`: the token decides, and without one the
    /// response is no assertion (decisions F1).
    #[test]
    fn firefox_does_not_read_the_error_member() {
        let r = run(r#"{"token":"t","error":{"error":"x"}}"#, Profile::Firefox);
        assert_eq!(warning_ids(&r), ["member-not-read"]);
        assert_eq!(r.unwrap().value, AssertionResponse::Token(json!("t")));
        let r = run(r#"{"error":{"error":"access_denied"}}"#, Profile::Firefox);
        assert_eq!(error_ids(&r), ["no-assertion-result"]);
        // Any status is read; the JSON decides.
        let r = parse(&ok(r#"{"token":{"a":1}}"#).with_status(500), &endpoint(), Profile::Firefox);
        assert_eq!(r.unwrap().value, AssertionResponse::Token(json!("[object Object]")));
    }

    #[test]
    fn string_and_json_tokens_pass_through() {
        for p in [Profile::Spec, Profile::Chromium] {
            assert_eq!(value(r#"{"token":"t0k3n"}"#, p), AssertionResponse::Token(json!("t0k3n")));
            assert_eq!(value(r#"{"token":{"a":[1,2]}}"#, p), AssertionResponse::Token(json!({"a":[1,2]})));
            assert_eq!(value(r#"{"token":null}"#, p), AssertionResponse::Token(json!(null)));
            assert_eq!(value(r#"{"token":""}"#, p), AssertionResponse::Token(json!("")));
        }
    }

    /// The 2024 spec converts the token as WebIDL converts to `USVString`;
    /// Chromium before 143 takes a string only.
    #[test]
    fn older_generations_convert_or_refuse_a_token_that_is_not_a_string() {
        let cases = [
            (r#"{"token":42}"#, "42"),
            (r#"{"token":true}"#, "true"),
            (r#"{"token":null}"#, "null"),
            (r#"{"token":{"a":1}}"#, "[object Object]"),
            (r#"{"token":[1,null,"x",[2,3]]}"#, "1,,x,2,3"),
            (r#"{"token":"t"}"#, "t"),
        ];
        for (body, text) in cases {
            assert_eq!(value(body, Profile::Spec2024), AssertionResponse::Token(json!(text)), "{body}");
            let r = run(body, Profile::Chromium142);
            if body.contains(r#""t""#) {
                assert_eq!(r.unwrap().value, AssertionResponse::Token(json!("t")));
            } else {
                assert_eq!(error_ids(&r), ["no-assertion-result"], "{body}");
            }
        }
    }

    #[test]
    fn error_wins_over_token_and_continue_on() {
        let body =
            r#"{"token":"t","continue_on":"https://idp.example/c","error":{"error":"access_denied","url":"/why"}}"#;
        for p in error_api() {
            let AssertionResponse::Error(e) = value(body, p) else { panic!() };
            assert_eq!(e.code, "access_denied");
            assert_eq!(e.url.unwrap().as_str(), "https://idp.example/why");
        }
    }

    #[test]
    fn token_wins_over_continue_on() {
        let body = r#"{"continue_on":"https://idp.example/c","token":"t"}"#;
        assert_eq!(value(body, Profile::Spec), AssertionResponse::Token(json!("t")));
    }

    #[test]
    fn continue_on_must_be_absolute_in_spec_and_same_origin() {
        assert_eq!(
            value(r#"{"continue_on":"https://idp.example/continue?x=1"}"#, Profile::Spec),
            AssertionResponse::ContinueOn(Url::parse("https://idp.example/continue?x=1").unwrap())
        );
        assert!(matches!(
            value(r#"{"continue_on":"/continue"}"#, Profile::Spec),
            AssertionResponse::ContinueOnRejected(_)
        ));
        assert!(matches!(value(r#"{"continue_on":"/continue"}"#, Profile::Chromium), AssertionResponse::ContinueOn(_)));
        for p in Profile::ALL {
            assert!(matches!(
                value(r#"{"continue_on":"https://evil.example/c"}"#, p),
                AssertionResponse::ContinueOnRejected(_)
            ));
        }
    }

    #[test]
    fn error_url_on_another_site_is_dropped() {
        for p in error_api() {
            let r = run(r#"{"error":{"error":"x","url":"https://evil.example/e"}}"#, p);
            assert_eq!(warning_ids(&r), ["error-url-dropped"]);
            let AssertionResponse::Error(e) = r.unwrap().value else { panic!() };
            assert_eq!(e.url, None);
        }
        // Same site, other subdomain: kept by both.
        let AssertionResponse::Error(e) = value(r#"{"error":{"url":"https://help.idp.example/e"}}"#, Profile::Spec)
        else {
            panic!()
        };
        assert!(e.url.is_some());
        assert_eq!(e.code, "");
    }

    #[test]
    fn http_error_url_is_dropped() {
        for p in error_api() {
            let AssertionResponse::Error(e) = value(r#"{"error":{"url":"http://idp.example/e"}}"#, p) else { panic!() };
            assert_eq!(e.url, None, "{p}");
        }
    }

    #[test]
    fn flat_oauth_error_string() {
        // WebIDL cannot make a dictionary of a string: the document fails.
        assert_eq!(error_ids(&run(r#"{"error":"access_denied"}"#, Profile::Spec)), ["wrong-type"]);
        // Chromium skips it and looks for a token.
        assert_eq!(error_ids(&run(r#"{"error":"access_denied"}"#, Profile::Chromium)), ["no-assertion-result"]);
        assert_eq!(value(r#"{"error":"x","token":"t"}"#, Profile::Chromium), AssertionResponse::Token(json!("t")));
    }

    #[test]
    fn legacy_code_member() {
        let body = r#"{"error":{"code":"invalid_request"}}"#;
        let AssertionResponse::Error(e) = value(body, Profile::Spec) else { panic!() };
        assert_eq!(e.code, "");
        let AssertionResponse::Error(e) = value(body, Profile::Chromium) else { panic!() };
        assert_eq!(e.code, "invalid_request");
        assert_eq!(warning_ids(&run(body, Profile::Spec)), ["legacy-member"]);
    }

    #[test]
    fn non_2xx_with_error_body() {
        let resp = ok(r#"{"error":{"error":"invalid_request"}}"#).with_status(400);
        assert_eq!(error_ids(&parse(&resp, &endpoint(), Profile::Spec)), ["http-status"]);
        assert!(matches!(parse(&resp, &endpoint(), Profile::Chromium).unwrap().value, AssertionResponse::Error(_)));
        // A token on a non-2xx response is never used.
        let resp = ok(r#"{"token":"t"}"#).with_status(500);
        assert_eq!(error_ids(&parse(&resp, &endpoint(), Profile::Chromium)), ["http-status"]);
        let resp = ok(r#"{"error":{}}"#).with_status(404);
        assert_eq!(error_ids(&parse(&resp, &endpoint(), Profile::Chromium)), ["http-status"]);
    }

    #[test]
    fn empty_and_unparsable_error_urls() {
        // The spec parses "" against the endpoint: the endpoint itself.
        let AssertionResponse::Error(e) = value(r#"{"error":{"error":"x","url":""}}"#, Profile::Spec) else { panic!() };
        assert_eq!(e.url.unwrap().as_str(), "https://idp.example/assert");
        // Chromium: an empty string is no URL.
        let AssertionResponse::Error(e) = value(r#"{"error":{"error":"x","url":""}}"#, Profile::Chromium) else {
            panic!()
        };
        assert_eq!(e.url, None);
        for p in error_api() {
            let r = run(r#"{"error":{"error":"x","url":"https://[::1"}}"#, p);
            assert_eq!(warning_ids(&r), ["error-url-dropped"], "{p}");
            let AssertionResponse::Error(e) = r.unwrap().value else { panic!() };
            assert_eq!(e.url, None);
        }
    }

    #[test]
    fn error_null_and_non_string_continue_on() {
        // WebIDL turns null into an empty dictionary: an error with no code.
        let AssertionResponse::Error(e) = value(r#"{"error":null}"#, Profile::Spec) else { panic!() };
        assert_eq!((e.code.as_str(), e.url), ("", None));
        // Chromium reads JSON types: a null error is no error.
        assert_eq!(error_ids(&run(r#"{"error":null}"#, Profile::Chromium)), ["no-assertion-result"]);
        // A number converts to the string "5", which is no absolute URL.
        assert!(matches!(value(r#"{"continue_on":5}"#, Profile::Spec), AssertionResponse::ContinueOnRejected(_)));
        assert_eq!(error_ids(&run(r#"{"continue_on":5}"#, Profile::Chromium)), ["no-assertion-result"]);
    }

    #[test]
    fn chromium_falls_through_an_unparsable_continue_on() {
        let r = run(r#"{"continue_on":"https://[::1"}"#, Profile::Chromium);
        assert_eq!(error_ids(&r), ["continue-on-rejected"]);
        assert!(matches!(
            value(r#"{"continue_on":"https://[::1"}"#, Profile::Spec),
            AssertionResponse::ContinueOnRejected(_)
        ));
    }

    #[test]
    fn none_of_the_three() {
        for p in Profile::ALL {
            assert_eq!(error_ids(&run(r#"{"id_token":"x"}"#, p)), ["no-assertion-result"]);
        }
        assert_eq!(error_ids(&run("[]", Profile::Spec)), ["no-assertion-result"]);
        assert_eq!(error_ids(&run("[]", Profile::Chromium)), ["not-an-object"]);
    }
}
