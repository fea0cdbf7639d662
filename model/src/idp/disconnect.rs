//! The disconnect response (spec `#idp-api-disconnect-endpoint`, used in
//! `#disconnect-request`): which account the IdP disconnected.

use super::{parse_document, ParseResult, Transport};
use crate::http::HttpResponse;
use crate::idl;
use crate::problem::{Path, Rule};
use crate::profile::rules::Flaw;
use crate::profile::Profile;
use crate::Document;
use serde::Serialize;

/// The disconnect endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisconnectedAccount {
    /// May differ from the `account_hint` the browser sent.
    pub account_id: String,
}

/// Parses the disconnect response.
pub fn parse(response: &HttpResponse, profile: Profile) -> ParseResult<DisconnectedAccount> {
    let document = Document::Disconnect;
    parse_document(document, response, profile, Transport::default(), |cx, dict| {
        let path = Path::Root.field("account_id");
        let account_id = idl::required_string(cx, &path, dict.get("account_id"));
        if account_id.as_deref() == Some("") {
            // WebIDL accepts "", Chromium requires a non-empty string.
            match profile.rules().empty_disconnect_account_id {
                Flaw::Reject => cx.error(&path, Rule::EmptyAccountId),
                Flaw::Warn => cx.warn(&path, Rule::EmptyAccountId),
            }
        }
        account_id.map(|id| DisconnectedAccount { account_id: id.into_owned() })
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn account_id_required() {
        for p in Profile::ALL {
            assert_eq!(parse(&ok(r#"{"account_id":"1234"}"#), p).unwrap().value.account_id, "1234");
            assert_eq!(error_ids(&parse(&ok("{}"), p)), ["missing-required"]);
        }
    }

    #[test]
    fn empty_and_numeric_account_id() {
        assert_eq!(warning_ids(&parse(&ok(r#"{"account_id":""}"#), Profile::Spec)), ["empty-account-id"]);
        assert_eq!(error_ids(&parse(&ok(r#"{"account_id":""}"#), Profile::Chromium)), ["empty-account-id"]);
        assert_eq!(parse(&ok(r#"{"account_id":7}"#), Profile::Spec).unwrap().value.account_id, "7");
        assert_eq!(error_ids(&parse(&ok(r#"{"account_id":7}"#), Profile::Chromium)), ["wrong-type"]);
    }

    #[test]
    fn non_object_and_non_2xx_responses_fail() {
        for p in Profile::ALL {
            let status = parse(&ok(r#"{"account_id":"1"}"#).with_status(500), p);
            if p == Profile::Firefox {
                // Firefox reads the body whatever the status (decisions F2).
                assert!(status.is_ok());
            } else {
                assert_eq!(error_ids(&status), ["http-status"], "{p}");
            }
            assert_eq!(error_ids(&parse(&ok(r#""1""#), p)), ["not-an-object"], "{p}");
        }
        // WebIDL makes null an empty dictionary: account_id is missing.
        assert_eq!(error_ids(&parse(&ok("null"), Profile::Spec)), ["missing-required"]);
        assert_eq!(error_ids(&parse(&ok("null"), Profile::Chromium)), ["not-an-object"]);
    }
}
