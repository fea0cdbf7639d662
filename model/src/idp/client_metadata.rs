//! Client metadata, from the uncredentialed GET to `client_metadata_endpoint`
//! (spec `#idp-api-client-id-metadata-endpoint`; an extension the spec
//! boxes, which Chromium ships). A failure here is not fatal: the sign-up
//! prompt just cannot link the RP's policies.

use super::config::Icon;
use super::{parse_document, Cx, ParseResult, Transport};
use crate::http::HttpResponse;
use crate::idl;
use crate::problem::{Path, Rule};
use crate::profile::rules::MetadataLinks;
use crate::profile::Profile;
use crate::Document;
use serde::Serialize;

/// What the IdP says about the RP, for the sign-up disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default, Hash)]
pub struct ClientMetadata {
    /// The RP's privacy policy, linked from the sign-up prompt.
    pub privacy_policy_url: Option<String>,
    /// The RP's terms of service, linked from the sign-up prompt.
    pub terms_of_service_url: Option<String>,
    /// When true the dialog must show the RP's registrable domain.
    pub client_is_third_party_to_top_frame_origin: bool,
    /// The RP's brand icons (Chromium only; not in the spec's dictionary).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub icons: Vec<Icon>,
}

/// Parses the client metadata response.
pub fn parse(response: &HttpResponse, profile: Profile) -> ParseResult<ClientMetadata> {
    let document = Document::ClientMetadata;
    let root = Path::Root;
    parse_document(document, response, profile, Transport::default(), |cx, dict| {
        // The spec does not validate the links; Chromium keeps only absolute
        // http(s) URLs. Both are reported, since a bad link is never shown.
        let link = |cx: &mut Cx, name: &'static str| {
            let path = root.field(name);
            let value = idl::string(cx, &path, dict.get(name))?;
            let usable = url::Url::parse(&value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if usable {
                return Some(value.into_owned());
            }
            cx.warn(&path, Rule::LinkDropped { value: value.to_string() });
            (profile.rules().metadata_links == MetadataLinks::Any).then(|| value.into_owned())
        };
        let privacy_policy_url = link(cx, "privacy_policy_url");
        let terms_of_service_url = link(cx, "terms_of_service_url");
        let third_party = idl::boolean(
            cx,
            &root.field("client_is_third_party_to_top_frame_origin"),
            dict.get("client_is_third_party_to_top_frame_origin"),
        )
        .unwrap_or(false);
        // Chromium reads an `icons` list like the config's, with absolute
        // URLs only, and downloads one of them (decisions A52).
        let icons = if profile.rules().fetches_icons {
            super::icons::parse(cx, None, &root.field("icons"), dict.get("icons"))
        } else {
            Vec::new()
        };
        Some(ClientMetadata {
            privacy_policy_url,
            terms_of_service_url,
            client_is_third_party_to_top_frame_origin: third_party,
            icons,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn links_and_third_party_flag() {
        let body = r#"{"privacy_policy_url":"https://rp.example/pp","terms_of_service_url":"https://rp.example/tos","client_is_third_party_to_top_frame_origin":true}"#;
        for p in Profile::ALL {
            let m = parse(&ok(body), p).unwrap().value;
            assert_eq!(m.privacy_policy_url.as_deref(), Some("https://rp.example/pp"));
            assert!(m.client_is_third_party_to_top_frame_origin);
        }
    }

    #[test]
    fn empty_object_is_valid() {
        for p in Profile::ALL {
            assert_eq!(parse(&ok("{}"), p).unwrap().value, ClientMetadata::default());
        }
    }

    #[test]
    fn non_http_links_are_dropped_by_chromium_and_flagged_in_spec() {
        let body = r#"{"privacy_policy_url":"javascript:alert(1)","terms_of_service_url":"/tos"}"#;
        let s = parse(&ok(body), Profile::Spec);
        assert_eq!(warning_ids(&s), ["link-dropped", "link-dropped"]);
        assert_eq!(s.unwrap().value.terms_of_service_url.as_deref(), Some("/tos"));
        assert_eq!(parse(&ok(body), Profile::Chromium).unwrap().value, ClientMetadata::default());
    }

    #[test]
    fn third_party_flag_string_false_is_true_under_webidl() {
        let body = r#"{"client_is_third_party_to_top_frame_origin":"false"}"#;
        let s = parse(&ok(body), Profile::Spec);
        assert_eq!(warning_ids(&s), ["coerced"]);
        assert!(s.unwrap().value.client_is_third_party_to_top_frame_origin);
        // Chromium reads JSON booleans only.
        assert!(!parse(&ok(body), Profile::Chromium).unwrap().value.client_is_third_party_to_top_frame_origin);
    }

    #[test]
    fn chromium_reads_absolute_icons() {
        let body = r#"{"icons":[{"url":"https://rp.example/i.png","size":64},{"url":"/rel.png"}]}"#;
        let c = parse(&ok(body), Profile::Chromium);
        assert_eq!(warning_ids(&c), ["icon-unusable"]);
        assert_eq!(c.unwrap().value.icons, [Icon { url: "https://rp.example/i.png".into(), size: Some(64) }]);
        assert!(parse(&ok(body), Profile::Spec).unwrap().value.icons.is_empty());
    }

    #[test]
    fn failures() {
        assert_eq!(error_ids(&parse(&ok("[1"), Profile::Spec)), ["invalid-json"]);
        assert_eq!(error_ids(&parse(&ok("{}").with_status(500), Profile::Spec)), ["http-status"]);
        assert_eq!(error_ids(&parse(&ok("true"), Profile::Chromium)), ["not-an-object"]);
    }
}
