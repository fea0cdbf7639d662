//! The accounts list, from the credentialed GET to `accounts_endpoint`
//! (spec `#idp-api-accounts-endpoint`, fetched in `#fetch-accounts`).
//!
//! One bad account fails the whole list, as WebIDL conversion of a sequence
//! does. An empty list is a valid document: the machine treats it as "not
//! signed in" (`#create-identity-credential`).

use super::{parse_document, Cx, ParseResult, Transport};
use crate::http::HttpResponse;
use crate::idl::{self, ListPolicy};
use crate::json::Json;
use crate::problem::{Document, Path, Rule};
use crate::profile::rules::{Flaw, Identifiers};
use crate::profile::Profile;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use url::Url;

/// The accounts list: who is signed in to the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountList {
    /// In the IdP's order, which the chooser keeps.
    pub accounts: Vec<Account>,
}

/// One account at the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default, Hash)]
pub struct Account {
    /// The IdP's id for the account; what the assertion POST sends as `account_id`.
    pub id: String,
    /// Full name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Telephone number.
    pub tel: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Given name, for a shorter greeting.
    pub given_name: Option<String>,
    /// Absolute URL; a relative or invalid one is dropped (a placeholder is
    /// shown) and the account kept.
    pub picture: Option<Url>,
    /// When present, decides "returning or new" alone, and vetoes auto
    /// re-authentication for clients not in it.
    pub approved_clients: Option<Vec<String>>,
    /// Kept by the RP's `loginHint` when one of these equals it.
    pub login_hints: Option<Vec<String>>,
    /// Kept by the RP's `domainHint` when one of these equals it.
    pub domain_hints: Option<Vec<String>>,
    /// Kept by the config's `account_label` when one of these equals it.
    pub label_hints: Option<Vec<String>>,
}

impl Account {
    fn hints_contain(hints: &Option<Vec<String>>, value: &str) -> bool {
        hints.as_ref().is_some_and(|h| h.iter().any(|x| x == value))
    }

    /// Kept by the RP's `loginHint` (`#create-identity-credential`, "fetch accounts").
    pub fn matches_login_hint(&self, hint: &str) -> bool {
        Self::hints_contain(&self.login_hints, hint)
    }

    /// Kept by the RP's `domainHint`; `"any"` keeps accounts with any domain hint.
    pub fn matches_domain_hint(&self, hint: &str) -> bool {
        if hint == "any" {
            self.domain_hints.as_ref().is_some_and(|h| !h.is_empty())
        } else {
            Self::hints_contain(&self.domain_hints, hint)
        }
    }

    /// Kept by the config's `account_label`.
    pub fn matches_label(&self, label: &str) -> bool {
        Self::hints_contain(&self.label_hints, label)
    }

    /// What the account chooser shows first: name, username, email, tel.
    pub fn display_name(&self) -> &str {
        [&self.name, &self.username, &self.email, &self.tel]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|s| !s.trim().is_empty())
            .unwrap_or(&self.id)
    }
}

/// Parses the accounts response.
pub fn parse(response: &HttpResponse, profile: Profile) -> ParseResult<AccountList> {
    let document = Document::Accounts;
    parse_document(document, response, profile, Transport::default(), |cx, dict| {
        let path = Path::Root.field("accounts");
        // The IDL leaves `accounts` optional, but a list without it has no
        // accounts to count; engines reject it, and so does the model.
        let items = match dict.get("accounts") {
            None => {
                cx.error(&path, Rule::MissingRequired);
                return None;
            }
            Some(Json::Array(items)) => items,
            Some(other) => {
                cx.error(&path, Rule::WrongType { expected: "an array of accounts", found: other.json_type() });
                return None;
            }
        };
        if items.is_empty() {
            cx.warn(&path, Rule::EmptyAccountsList);
        }
        let mut accounts = Vec::with_capacity(items.len());
        // Keyed by the id as it appears in the document (borrowed, no copy).
        // The last account's id is never looked up again, so a list of one
        // (the usual case) leaves the map empty and unallocated.
        let mut first_index: HashMap<Cow<'_, str>, usize> = HashMap::with_capacity(items.len().saturating_sub(1));
        for (i, item) in items.iter().enumerate() {
            let p = path.index(i);
            let Some((account, id)) = account(cx, &p, item) else { continue };
            if let Some(&first) = first_index.get(id.as_ref()) {
                // No rule in the spec (issue #336); Chromium rejects the list.
                let rule = Rule::DuplicateAccountId { id: account.id.clone(), first_index: first };
                match profile.rules().duplicate_account_ids {
                    Flaw::Reject => cx.error(&p.field("id"), rule),
                    Flaw::Warn => cx.warn(&p.field("id"), rule),
                }
            } else if i + 1 < items.len() {
                first_index.insert(id, i);
            }
            accounts.push(account);
        }
        Some(AccountList { accounts })
    })
}

/// One account, and its id as a string borrowed from the document.
fn account<'a>(cx: &mut Cx, path: &Path, item: &Json<'a>) -> Option<(Account, Cow<'a, str>)> {
    let Some(dict) = idl::dictionary(cx, path, item) else {
        if !cx.profile.coerces_types() {
            cx.error(path, Rule::NotAnObject { found: item.json_type() });
        }
        return None;
    };
    let string = |cx: &mut Cx, name: &'static str| idl::string(cx, &path.field(name), dict.get(name)).map(String::from);
    let list = |cx: &mut Cx, name: &'static str| {
        idl::string_list(cx, &path.field(name), dict.get(name), ListPolicy::Lenient)
            .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
    };
    let id = idl::required_string(cx, &path.field("id"), dict.get("id"));
    let name = string(cx, "name");
    let email = string(cx, "email");
    let tel = string(cx, "tel");
    let username = string(cx, "username");
    let given_name = string(cx, "given_name");
    let picture = string(cx, "picture").and_then(|value| match Url::parse(&value) {
        Ok(url) => Some(url),
        Err(_) => {
            cx.warn(&path.field("picture"), Rule::PictureNotAbsolute { value });
            None
        }
    });
    let approved_clients = list(cx, "approved_clients");
    let login_hints = list(cx, "login_hints");
    let domain_hints = list(cx, "domain_hints");
    let label_hints = list(cx, "label_hints");
    if dict.get("labels").is_some() {
        // Chromium's earlier member; 156 ignores it.
        cx.warn(&path.field("labels"), Rule::LegacyMember { replacement: "label_hints" });
    }
    if dict.get("account_id").is_some() && dict.get("id").is_none() {
        cx.warn(&path.field("account_id"), Rule::LegacyMember { replacement: "id" });
    }

    // At least one identifier. The spec counts a member as soon as it is
    // set (even ""); Chromium wants one that is not blank; Firefox asks
    // for none but `id`.
    let identifiers = [&name, &email, &tel, &username];
    let rule = cx.profile.rules().identifiers;
    let has_identifier = match rule {
        Identifiers::Set => identifiers.iter().any(|v| v.is_some()),
        Identifiers::NonBlank => identifiers.iter().any(|v| v.as_deref().is_some_and(|s| !s.trim_ascii().is_empty())),
        Identifiers::IdOnly => true,
    };
    if !has_identifier {
        let blank = identifiers.iter().any(|v| v.is_some());
        cx.error(path, Rule::NoAccountIdentifier { blank });
    } else if rule != Identifiers::NonBlank
        && identifiers.iter().all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
    {
        // Passes the algorithm, but the prose asks for a non-empty value.
        cx.warn(path, Rule::NoAccountIdentifier { blank: true });
    }
    let id = id?;
    let account = Account {
        id: id.as_ref().to_owned(),
        name,
        email,
        tel,
        username,
        given_name,
        picture,
        approved_clients,
        login_hints,
        domain_hints,
        label_hints,
    };
    Some((account, id))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn spec(body: &str) -> ParseResult<AccountList> {
        parse(&ok(body), Profile::Spec)
    }
    fn chromium(body: &str) -> ParseResult<AccountList> {
        parse(&ok(body), Profile::Chromium)
    }
    fn both(body: &str) -> [ParseResult<AccountList>; 2] {
        [spec(body), chromium(body)]
    }

    #[test]
    fn full_account_is_parsed() {
        let body = r#"{"accounts":[{"id":"1234","name":"John Doe","given_name":"John","email":"john@idp.example",
            "picture":"https://idp.example/p.png","approved_clients":["123"],"login_hints":["john"],
            "domain_hints":["corp.example"],"label_hints":["l1"],"unknown":{"x":1}}]}"#;
        for r in both(body) {
            let a = &r.unwrap().value.accounts[0];
            assert_eq!(a.id, "1234");
            assert_eq!(a.display_name(), "John Doe");
            assert_eq!(a.picture.as_ref().unwrap().as_str(), "https://idp.example/p.png");
            assert!(a.matches_login_hint("john") && !a.matches_login_hint("jo"));
            assert!(a.matches_domain_hint("corp.example") && a.matches_domain_hint("any"));
            assert!(a.matches_label("l1"));
        }
    }

    #[test]
    fn empty_list_is_valid_with_a_warning() {
        for r in both(r#"{"accounts":[]}"#) {
            assert_eq!(warning_ids(&r), ["empty-accounts-list"]);
            assert!(r.unwrap().value.accounts.is_empty());
        }
    }

    #[test]
    fn missing_or_non_array_accounts_fails() {
        for r in both("{}") {
            assert_eq!(error_ids(&r), ["missing-required"]);
        }
        for r in both(r#"{"accounts":{"id":"1"}}"#) {
            assert_eq!(error_ids(&r), ["wrong-type"]);
        }
        assert_eq!(error_ids(&spec(r#"{"Accounts":[]}"#)), ["missing-required"], "member names are case-sensitive");
    }

    #[test]
    fn id_is_required() {
        for r in both(r#"{"accounts":[{"name":"x"}]}"#) {
            assert_eq!(error_ids(&r), ["missing-required"]);
            assert_eq!(fields(&r), ["accounts[0].id"]);
        }
    }

    #[test]
    fn numeric_id_is_coerced_by_spec_and_missing_for_chromium() {
        let body = r#"{"accounts":[{"id":1234,"name":"x"}]}"#;
        assert_eq!(spec(body).unwrap().value.accounts[0].id, "1234");
        assert_eq!(error_ids(&chromium(body)), ["wrong-type"]);
    }

    #[test]
    fn one_identifier_is_enough_and_none_fails() {
        for id_field in ["name", "email", "tel", "username"] {
            let body = format!(r#"{{"accounts":[{{"id":"1","{id_field}":"v"}}]}}"#);
            for r in both(&body) {
                assert!(r.is_ok(), "{id_field}");
            }
        }
        for r in both(r#"{"accounts":[{"id":"1","given_name":"x"}]}"#) {
            assert_eq!(error_ids(&r), ["no-account-identifier"]);
            assert_eq!(fields(&r), ["accounts[0]"]);
        }
    }

    #[test]
    fn blank_identifier_passes_spec_with_warning_and_fails_chromium() {
        let body = r#"{"accounts":[{"id":"1","name":"  "}]}"#;
        assert_eq!(warning_ids(&spec(body)), ["no-account-identifier"]);
        assert_eq!(error_ids(&chromium(body)), ["no-account-identifier"]);
    }

    #[test]
    fn one_bad_account_fails_the_whole_list() {
        let body = r#"{"accounts":[{"id":"1","name":"a"},{"id":"2","name":"b","approved_clients":"123"}]}"#;
        let r = spec(body);
        assert_eq!(error_ids(&r), ["wrong-type"]);
        assert_eq!(fields(&r), ["accounts[1].approved_clients"]);
        // Chromium ignores a hint list of the wrong type.
        let c = chromium(body).unwrap();
        assert_eq!(c.value.accounts[1].approved_clients, None);
    }

    #[test]
    fn non_string_hint_entries() {
        let body = r#"{"accounts":[{"id":"1","name":"a","login_hints":["l1",42,"l2"]}]}"#;
        assert_eq!(spec(body).unwrap().value.accounts[0].login_hints.as_deref().unwrap(), ["l1", "42", "l2"]);
        assert_eq!(chromium(body).unwrap().value.accounts[0].login_hints.as_deref().unwrap(), ["l1", "l2"]);
    }

    #[test]
    fn duplicate_ids_fail_chromium_and_warn_in_spec() {
        let body = r#"{"accounts":[{"id":"1","name":"a"},{"id":"1","name":"b"}]}"#;
        assert_eq!(warning_ids(&spec(body)), ["duplicate-account-id"]);
        assert_eq!(error_ids(&chromium(body)), ["duplicate-account-id"]);
        assert_eq!(fields(&chromium(body)), ["accounts[1].id"]);
        // The last of three repeats the second (ids are kept until the last).
        let body = r#"{"accounts":[{"id":"1","name":"a"},{"id":"2","name":"b"},{"id":"2","name":"c"}]}"#;
        assert_eq!(fields(&chromium(body)), ["accounts[2].id"]);
    }

    #[test]
    fn account_that_is_not_an_object() {
        assert_eq!(error_ids(&spec(r#"{"accounts":["x"]}"#)), ["wrong-type"]);
        assert_eq!(error_ids(&chromium(r#"{"accounts":["x"]}"#)), ["not-an-object"]);
        // null converts to an empty dictionary: then `id` is missing.
        assert_eq!(error_ids(&spec(r#"{"accounts":[null]}"#)), ["missing-required", "no-account-identifier"]);
    }

    #[test]
    fn relative_picture_is_dropped_not_fatal() {
        for r in both(r#"{"accounts":[{"id":"1","name":"a","picture":"/p.png"}]}"#) {
            assert_eq!(warning_ids(&r), ["picture-not-absolute"]);
            assert_eq!(r.unwrap().value.accounts[0].picture, None);
        }
    }

    #[test]
    fn null_name_becomes_the_string_null_in_spec() {
        let r = spec(r#"{"accounts":[{"id":"1","name":null}]}"#);
        assert_eq!(r.as_ref().unwrap().value.accounts[0].name.as_deref(), Some("null"));
        assert_eq!(warning_ids(&r), ["coerced"]);
        assert_eq!(error_ids(&chromium(r#"{"accounts":[{"id":"1","name":null}]}"#)), ["no-account-identifier"]);
    }

    #[test]
    fn older_idp_shapes() {
        // Pre-2025 IdPs always send id, name and email: still valid.
        assert!(spec(r#"{"accounts":[{"id":"1","name":"a","email":"a@b"}]}"#).is_ok());
        // Chromium's earlier `labels` member: a warning, read by neither.
        let legacy = r#"{"accounts":[{"id":"1","name":"a","labels":["l"]}]}"#;
        assert!(!chromium(legacy).unwrap().value.accounts[0].matches_label("l"));
        assert!(!spec(legacy).unwrap().value.accounts[0].matches_label("l"));
    }

    #[test]
    fn domain_hint_any_needs_a_non_empty_list() {
        let a = Account { domain_hints: Some(vec![]), ..Account::default() };
        assert!(!a.matches_domain_hint("any"));
        assert!(!Account::default().matches_domain_hint("any"));
    }

    #[test]
    fn top_level_null_array_and_array_accounts() {
        // WebIDL makes null and [] an empty dictionary: `accounts` is missing.
        for body in ["null", "[]"] {
            assert_eq!(error_ids(&spec(body)), ["missing-required"], "{body}");
            assert_eq!(error_ids(&chromium(body)), ["not-an-object"], "{body}");
        }
        // An account given as an array: an empty dictionary (spec), not an object (Chromium).
        assert_eq!(error_ids(&spec(r#"{"accounts":[["1","a"]]}"#)), ["missing-required", "no-account-identifier"]);
        assert_eq!(error_ids(&chromium(r#"{"accounts":[["1","a"]]}"#)), ["not-an-object"]);
    }

    #[test]
    fn legacy_account_id_gets_a_hint() {
        let r = spec(r#"{"accounts":[{"account_id":"1","name":"a"}]}"#);
        assert_eq!(error_ids(&r), ["missing-required"]);
        assert!(r.unwrap_err().warnings.iter().any(|w| w.rule.id() == "legacy-member"));
    }

    #[test]
    fn ids_that_collide_after_conversion_are_duplicates() {
        let body = r#"{"accounts":[{"id":1,"name":"a"},{"id":"1","name":"b"}]}"#;
        // WebIDL turns 1 into "1": the same id twice (a warning in the spec profile).
        let r = spec(body);
        assert!(warning_ids(&r).contains(&"duplicate-account-id"), "{r:?}");
        assert_eq!(r.unwrap().value.accounts.len(), 2);
        // Chromium reads the number as no id at all.
        assert_eq!(error_ids(&chromium(body)), ["wrong-type"]);
    }
}
