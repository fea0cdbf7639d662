//! The differential target: each typed parser against an independent
//! reading of the same bytes through `serde_json::Value`, written here from
//! the spec's and Chromium's rules. The bytes are the body of a 200
//! `application/json` response, read as all six documents under both
//! profiles. A disagreement panics.
//!
//! The reading follows the model's documented decisions for the transport:
//! bodies over 1 MiB are rejected; `chromium` rejects invalid UTF-8 and
//! `spec` replaces it; one leading BOM is stripped; the JSON grammar and
//! "the last duplicate key wins" are serde_json's, as `Value` reads them.
//! Nesting of 200 containers or more is rejected (Chromium's bound),
//! counted here by a bracket scan. Escaped lone surrogates are rejected
//! under `chromium`; under `spec` (where `JSON.parse` accepts them and the
//! string conversion yields U+FFFD) every run of `\u` escapes is decoded
//! as UTF-16 with replacement and written back before `Value` reads it.
//!
//! Rules covered, by document ("iff": accepted exactly when; "=": the
//! accepted values equal the reading's):
//!
//! - accounts, chromium: iff an object whose `accounts` is an array of
//!   objects, each with a string `id`, a `name`/`email`/`tel`/`username`
//!   string that is not blank (ASCII whitespace), and no repeated id;
//!   = ids and names, in order.
//! - accounts, spec: iff an object whose `accounts` is an array of objects,
//!   each with an `id` and one of `name`/`email`/`tel`/`username` present
//!   (any type: WebIDL converts it), and `approved_clients`, `login_hints`,
//!   `domain_hints`, `label_hints` absent or arrays; = string ids.
//! - config, chromium: iff an object whose `accounts_endpoint`, `login_url`
//!   and `id_assertion_endpoint` are non-empty strings that resolve against
//!   the config URL to its origin; = the three resolved URLs.
//! - config, spec: rejected when not an object, when a required member is
//!   absent, or when `accounts_endpoint`/`login_url` is a string that does
//!   not resolve same-origin; iff that, for documents whose members are all
//!   strings among the five endpoint members.
//! - well-known, chromium: iff an object where either `provider_urls` is
//!   absent and the `accounts_endpoint` + `login_url` pair is present
//!   (non-empty strings), or `provider_urls` is an array of strings with
//!   exactly one distinct entry, or any number with the pair;
//!   = the deduplicated list.
//! - well-known, spec: iff an object where `provider_urls` is absent and
//!   both pair members are present (any type), or an array of at most one
//!   entry, empty only with the pair; = string entries.
//! - client metadata: iff an object (spec: or `null`/an array, which WebIDL
//!   turns into an empty dictionary); chromium = the links kept exactly when
//!   absolute http(s) URLs, and the boolean when it is one.
//! - disconnect: iff an object with `account_id`: chromium a non-empty
//!   string, spec any value; = the string.
//! - assertion (chromium): iff an object with an object `error`, or a
//!   `token` (any value, `null` included), or a string `continue_on` that
//!   parses against the endpoint; = the error/token/continue-on choice and
//!   a string token. (spec): iff an object whose `error` is an object,
//!   `null` or an array, or with no `error` and a `token` or `continue_on`.
//! - the `Content-Type` check (inputs of at most 256 bytes of UTF-8 are
//!   also tried as the header's value): the value is split at commas
//!   outside double quotes (Fetch's "extract a MIME type"); the last item
//!   that MIME Sniffing's "parse a MIME type" accepts (type and subtype of
//!   HTTP token code points, HTTP whitespace trimmed around the whole and
//!   before `;`), other than `*/*`, decides: accepted iff its essence is
//!   `application/json`, `text/json` or ends in `+json`.

use super::docs::{cached_assertion_endpoint as assertion_endpoint, cached_config_url as config_url};
use fedcm_model::idp::{self, ParseResult};
use fedcm_model::{HttpResponse, Profile};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// The model's body limit, restated.
const LIMIT: usize = 1024 * 1024;

/// The independent reading of the transport: the JSON value, or `None`
/// when the body is rejected before any document rule.
pub fn read(data: &[u8], profile: Profile) -> Option<Value> {
    let profile = family(profile);
    if data.len() > LIMIT {
        return None;
    }
    let text = match profile {
        Family::Chromium => String::from(std::str::from_utf8(data).ok()?),
        Family::Spec | Family::Firefox => String::from_utf8_lossy(data).into_owned(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if max_depth(text) >= 200 {
        return None;
    }
    let parse = |text: &str| -> Option<Value> {
        let mut de = serde_json::Deserializer::from_str(text);
        // Safe: the scan above bounds the depth below 200.
        de.disable_recursion_limit();
        let v = serde::Deserialize::deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(v)
    };
    match (parse(text), profile) {
        (Some(v), _) => Some(v),
        (None, Family::Chromium) => None,
        (None, Family::Spec | Family::Firefox) => parse(&reescape_utf16(text)),
    }
}

/// The deepest nesting of arrays and objects, outside strings.
fn max_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Every run of `\uXXXX` escapes inside strings, decoded as UTF-16 with
/// U+FFFD for unpaired surrogates and escaped again.
fn reescape_utf16(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let unit = |i: usize| -> Option<u16> {
        if chars.get(i) != Some(&'\\') || chars.get(i + 1) != Some(&'u') {
            return None;
        }
        let hex = chars.get(i + 2..i + 6)?;
        // Four hex digits exactly: `from_str_radix` alone would also take
        // a sign (`\u+800`), which JSON's grammar does not.
        if !hex.iter().all(char::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(&hex.iter().collect::<String>(), 16).ok()
    };
    let (mut out, mut i, mut in_string) = (String::with_capacity(text.len()), 0, false);
    while i < chars.len() {
        let c = chars[i];
        if !in_string {
            in_string = c == '"';
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_string = false;
                out.push(c);
                i += 1;
            }
            '\\' => {
                let mut units = Vec::new();
                while let Some(u) = unit(i) {
                    units.push(u);
                    i += 6;
                }
                if units.is_empty() {
                    out.extend(chars[i..(i + 2).min(chars.len())].iter());
                    i += 2;
                    continue;
                }
                for ch in std::char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)) {
                    for u in ch.encode_utf16(&mut [0; 2]) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn object(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

fn string<'v>(o: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    o.get(key).and_then(Value::as_str)
}

/// What the reading expects of one document.
#[derive(Debug, PartialEq)]
enum Expect<T> {
    Reject,
    Accept(T),
    /// The reading makes no claim (spec coercions it does not restate).
    Unknown,
}

fn agree<T: std::fmt::Debug, V>(
    what: &str,
    profile: Profile,
    data: &[u8],
    result: &ParseResult<V>,
    expected: Expect<T>,
    same: impl Fn(&V, &T) -> bool,
) {
    match (&expected, result) {
        (Expect::Unknown, _) | (Expect::Reject, Err(_)) => {}
        (Expect::Accept(t), Ok(parsed)) => {
            assert!(
                same(&parsed.value, t),
                "{what} ({profile}): values differ from the reading {t:?} for {:?}",
                lossy(data)
            )
        }
        (Expect::Reject, Ok(_)) => {
            panic!("{what} ({profile}): the model accepts what the reading rejects: {:?}", lossy(data))
        }
        (Expect::Accept(t), Err(rejected)) => panic!(
            "{what} ({profile}): the model rejects ({}) what the reading accepts as {t:?}: {:?}",
            rejected.first(),
            lossy(data)
        ),
    }
}

/// Equal as JavaScript values: `JSON.parse` makes every number a double,
/// so `36e0` and `36` are one value (as `Value`s, a float and an integer
/// are not equal).
fn same_js_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_js_value(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, x)| y.get(k).is_some_and(|y| same_js_value(x, y)))
        }
        _ => a == b,
    }
}

fn lossy(data: &[u8]) -> String {
    String::from_utf8_lossy(&data[..data.len().min(2000)]).into_owned()
}

/// The `differential` target: every typed parser against the `Value` reading
/// of the same bytes; panics on a disagreement.
pub fn run(data: &[u8]) {
    content_type(data);
    let response = HttpResponse::json(data.to_vec());
    // `read` depends on the family only: each family's reading, once.
    let mut reads: Vec<(Family, Option<Value>)> = Vec::with_capacity(3);
    for generation in Profile::ALL {
        // The documents' rules are the family's; only the token differs
        // between a family's generations.
        let profile = family(generation);
        let v = match reads.iter().position(|(f, _)| *f == profile) {
            Some(i) => reads[i].1.as_ref(),
            None => {
                reads.push((profile, read(data, generation)));
                reads[reads.len() - 1].1.as_ref()
            }
        };
        agree(
            "accounts",
            generation,
            data,
            &idp::accounts::parse(&response, generation),
            accounts(v, profile),
            |l, t| match profile {
                Family::Chromium => l.accounts.iter().map(|a| (a.id.clone(), a.name.clone())).collect::<Vec<_>>() == *t,
                Family::Spec | Family::Firefox => {
                    l.accounts.len() == t.len()
                        && l.accounts.iter().zip(t).all(|(a, (id, _))| id.is_empty() || a.id == *id)
                }
            },
        );
        let url = config_url();
        agree(
            "config",
            generation,
            data,
            &idp::config::parse(&response, url, generation),
            config(v, profile),
            |c, t| {
                let assertion = c.id_assertion_endpoint.valid().map(|e| e.as_str().to_string());
                let login_url = c.login_url.as_ref().map(|e| e.as_str().to_string());
                [Some(c.accounts_endpoint.as_str().to_string()), login_url, assertion] == *t
            },
        );
        agree(
            "well-known",
            generation,
            data,
            &idp::well_known::parse(&response, generation),
            well_known(v, profile),
            |w, t| {
                w.provider_urls.len() == t.len()
                    && w.provider_urls.iter().zip(t).all(|(a, b)| b.as_ref().is_none_or(|b| a == b))
            },
        );
        agree(
            "client metadata",
            generation,
            data,
            &idp::client_metadata::parse(&response, generation),
            client_metadata(v, profile),
            |m, t| match t {
                None => true,
                Some((pp, tos, third)) => {
                    m.privacy_policy_url == *pp
                        && m.terms_of_service_url == *tos
                        && m.client_is_third_party_to_top_frame_origin == *third
                }
            },
        );
        agree(
            "disconnect",
            generation,
            data,
            &idp::disconnect::parse(&response, generation),
            disconnect(v, profile),
            |d, t| t.as_ref().is_none_or(|id| d.account_id == *id),
        );
        let endpoint = assertion_endpoint();
        agree(
            "assertion",
            generation,
            data,
            &idp::assertion::parse(&response, endpoint, generation),
            assertion(v, generation),
            |a, t| {
                use idp::assertion::AssertionResponse as A;
                match (a, t) {
                    (A::Error(_), Kind::Error) => true,
                    (A::Token(token), Kind::Token(expected)) => {
                        expected.as_ref().is_none_or(|e| same_js_value(token, e))
                    }
                    (A::ContinueOn(_) | A::ContinueOnRejected(_), Kind::ContinueOn) => true,
                    _ => false,
                }
            },
        );
    }
}

/// MIME Sniffing's "parse a MIME type", as far as the rules below need it:
/// the type and subtype when both are HTTP tokens, lowercased.
fn parse_mime(value: &str) -> Option<(String, String)> {
    let http_whitespace = |c: char| matches!(c, '\t' | '\n' | '\r' | ' ');
    let token =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
    let value = value.trim_matches(http_whitespace);
    let (kind, rest) = value.split_once('/')?;
    let subtype = rest.split(';').next().unwrap_or_default().trim_end_matches(http_whitespace);
    (token(kind) && token(subtype)).then(|| (kind.to_ascii_lowercase(), subtype.to_ascii_lowercase()))
}

/// The transport's `Content-Type` rule, from MIME Sniffing: is this
/// header value a JSON MIME type?
pub fn json_content_type(value: &str) -> bool {
    parse_mime(value).is_some_and(|(kind, subtype)| {
        matches!((kind.as_str(), subtype.as_str()), ("application", "json") | ("text", "json"))
            || subtype.ends_with("+json")
    })
}

/// Whether a MIME type parses (type and subtype are tokens) and is not `*/*`.
fn valid_mime(value: &str) -> bool {
    parse_mime(value).is_some_and(|(kind, subtype)| !(kind == "*" && subtype == "*"))
}

/// Fetch's "extract a MIME type" over one header value: the items are
/// split at commas outside double quotes; the last valid one decides.
pub fn extracted_json(value: &str) -> bool {
    let mut items: Vec<String> = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            ',' => items.push(String::new()),
            '"' => {
                let item = items.last_mut().expect("never empty");
                item.push(c);
                while let Some(q) = chars.next() {
                    item.push(q);
                    if q == '\\' {
                        if let Some(e) = chars.next() {
                            item.push(e);
                        }
                    } else if q == '"' {
                        break;
                    }
                }
            }
            _ => items.last_mut().expect("never empty").push(c),
        }
    }
    let items: Vec<&str> = items.iter().map(|i| i.trim_matches(|c| c == ' ' || c == '\t')).collect();
    items.iter().rev().find(|i| valid_mime(i)).is_some_and(|i| json_content_type(i))
}

fn content_type(data: &[u8]) {
    let Some(value) = std::str::from_utf8(data).ok().filter(|v| v.len() <= 256) else { return };
    let response = HttpResponse {
        status: 200,
        headers: vec![("content-type".to_string(), value.to_string())],
        body: br#"{"account_id":"a"}"#.to_vec(),
    };
    for profile in Profile::ALL {
        let model = idp::disconnect::parse(&response, profile).is_ok();
        // Firefox does not look at the MIME type.
        let reading = family(profile) == Family::Firefox || extracted_json(value);
        assert_eq!(model, reading, "content type {value:?} ({profile}): the model says {model}, the reading {reading}");
    }
}

const IDENTIFIERS: [&str; 4] = ["name", "email", "tel", "username"];
const HINT_LISTS: [&str; 4] = ["approved_clients", "login_hints", "domain_hints", "label_hints"];

/// Ids and names (chromium); string ids, "" for others (spec).
fn accounts(v: Option<&Value>, profile: Family) -> Expect<Vec<(String, Option<String>)>> {
    let Some(top) = v.and_then(object) else { return Expect::Reject };
    let Some(Value::Array(items)) = top.get("accounts") else { return Expect::Reject };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for item in items {
        let Some(account) = object(item) else { return Expect::Reject };
        match profile {
            Family::Chromium => {
                let Some(id) = string(account, "id") else { return Expect::Reject };
                let named = IDENTIFIERS.iter().any(|k| string(account, k).is_some_and(|s| !s.trim_ascii().is_empty()));
                if !named || !seen.insert(id) {
                    return Expect::Reject;
                }
                out.push((id.to_string(), string(account, "name").map(String::from)));
            }
            Family::Spec | Family::Firefox => {
                // Firefox asks for no identifier but the id.
                let named = profile == Family::Firefox || IDENTIFIERS.iter().any(|k| account.contains_key(*k));
                if !account.contains_key("id") || !named {
                    return Expect::Reject;
                }
                if HINT_LISTS.iter().any(|k| account.get(*k).is_some_and(|l| !l.is_array())) {
                    return Expect::Reject;
                }
                out.push((string(account, "id").unwrap_or_default().to_string(), None));
            }
        }
    }
    Expect::Accept(out)
}

const REQUIRED_ENDPOINTS: [&str; 3] = ["accounts_endpoint", "login_url", "id_assertion_endpoint"];
const OPTIONAL_ENDPOINTS: [&str; 2] = ["client_metadata_endpoint", "disconnect_endpoint"];

/// The three resolved URLs (the assertion endpoint `None` when spec defers
/// its failure).
fn config(v: Option<&Value>, profile: Family) -> Expect<[Option<String>; 3]> {
    let Some(top) = v.and_then(object) else { return Expect::Reject };
    let base = config_url();
    let resolve = |s: &str| base.url().join(s).ok().filter(|u| u.origin() == base.url().origin());
    match profile {
        Family::Chromium => {
            let mut out: [Option<String>; 3] = Default::default();
            for (slot, key) in out.iter_mut().zip(REQUIRED_ENDPOINTS) {
                let Some(url) = string(top, key).filter(|s| !s.is_empty()).and_then(resolve) else {
                    return Expect::Reject;
                };
                *slot = Some(url.to_string());
            }
            Expect::Accept(out)
        }
        Family::Spec => {
            if REQUIRED_ENDPOINTS.iter().any(|k| !top.contains_key(*k)) {
                return Expect::Reject;
            }
            if REQUIRED_ENDPOINTS[..2].iter().any(|k| string(top, k).is_some_and(|s| resolve(s).is_none())) {
                return Expect::Reject;
            }
            let simple = top.iter().all(|(k, v)| {
                v.is_string() && (REQUIRED_ENDPOINTS.contains(&k.as_str()) || OPTIONAL_ENDPOINTS.contains(&k.as_str()))
            });
            if !simple {
                return Expect::Unknown;
            }
            let get = |k| string(top, k).and_then(resolve).map(|u| u.to_string());
            Expect::Accept([get("accounts_endpoint"), get("login_url"), get("id_assertion_endpoint")])
        }
        Family::Firefox => {
            // No login_url, and endpoints resolve with no origin rule.
            let anywhere = |k| string(top, k).and_then(|s| base.url().join(s).ok()).map(|u| u.to_string());
            let required = [REQUIRED_ENDPOINTS[0], REQUIRED_ENDPOINTS[2]];
            if required.iter().any(|k| !top.contains_key(*k)) {
                return Expect::Reject;
            }
            if string(top, "accounts_endpoint").is_some() && anywhere("accounts_endpoint").is_none() {
                return Expect::Reject;
            }
            let simple = top.iter().all(|(k, v)| {
                v.is_string() && (REQUIRED_ENDPOINTS.contains(&k.as_str()) || OPTIONAL_ENDPOINTS.contains(&k.as_str()))
            });
            if !simple {
                return Expect::Unknown;
            }
            Expect::Accept([anywhere("accounts_endpoint"), None, anywhere("id_assertion_endpoint")])
        }
    }
}

/// The provider URLs (`None` for entries the spec converts from non-strings).
fn well_known(v: Option<&Value>, profile: Family) -> Expect<Vec<Option<String>>> {
    let Some(top) = v.and_then(object) else { return Expect::Reject };
    let pair = match profile {
        Family::Chromium => {
            ["accounts_endpoint", "login_url"].iter().all(|k| string(top, k).is_some_and(|s| !s.is_empty()))
        }
        Family::Spec => top.contains_key("accounts_endpoint") && top.contains_key("login_url"),
        // Firefox's `provider_urls` is required whatever else is there.
        Family::Firefox => false,
    };
    let list = match top.get("provider_urls") {
        None if pair => return Expect::Accept(Vec::new()),
        None => return Expect::Reject,
        Some(Value::Array(items)) => items,
        Some(_) => return Expect::Reject,
    };
    match profile {
        Family::Chromium => {
            let mut urls: Vec<Option<String>> = Vec::new();
            for item in list {
                let Some(s) = item.as_str() else { return Expect::Reject };
                if !urls.iter().any(|u| u.as_deref() == Some(s)) {
                    urls.push(Some(s.to_string()));
                }
            }
            if !pair && urls.len() != 1 {
                return Expect::Reject;
            }
            Expect::Accept(urls)
        }
        Family::Spec => {
            if list.len() > 1 || (list.is_empty() && !pair) {
                return Expect::Reject;
            }
            Expect::Accept(list.iter().map(|item| item.as_str().map(String::from)).collect())
        }
        // Any number of entries but none; the check against the config
        // comes later.
        Family::Firefox if list.is_empty() => Expect::Reject,
        Family::Firefox => Expect::Accept(list.iter().map(|item| item.as_str().map(String::from)).collect()),
    }
}

type Links = Option<(Option<String>, Option<String>, bool)>;

/// Chromium's kept links and the boolean; the spec's values are not restated.
fn client_metadata(v: Option<&Value>, profile: Family) -> Expect<Links> {
    match (v, profile) {
        (Some(Value::Object(top)), Family::Chromium) => {
            let link = |k| {
                string(top, k)
                    .filter(|s| url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
                    .map(String::from)
            };
            let third = top.get("client_is_third_party_to_top_frame_origin").and_then(Value::as_bool).unwrap_or(false);
            Expect::Accept(Some((link("privacy_policy_url"), link("terms_of_service_url"), third)))
        }
        (Some(Value::Object(_) | Value::Null | Value::Array(_)), Family::Spec | Family::Firefox) => {
            Expect::Accept(None)
        }
        _ => Expect::Reject,
    }
}

/// The account id when it is a string.
fn disconnect(v: Option<&Value>, profile: Family) -> Expect<Option<String>> {
    let Some(top) = v.and_then(object) else { return Expect::Reject };
    let Some(id) = top.get("account_id") else { return Expect::Reject };
    match (profile, id.as_str()) {
        (Family::Chromium, Some(s)) if !s.is_empty() => Expect::Accept(Some(s.to_string())),
        (Family::Chromium, _) => Expect::Reject,
        (Family::Spec | Family::Firefox, s) => Expect::Accept(s.map(String::from)),
    }
}

#[derive(Debug, PartialEq)]
enum Kind {
    Error,
    /// The token as the generation converts it, when this reading can say.
    Token(Option<Value>),
    ContinueOn,
}

/// The spec or the browser a generation belongs to: the documents are
/// read by the family's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Family {
    /// `spec` and `spec-2024`.
    Spec,
    /// `chromium` and `chromium-142`.
    Chromium,
    /// `firefox`: WebIDL conversion as the spec, with its own members.
    Firefox,
}

fn family(p: Profile) -> Family {
    match p {
        Profile::Spec | Profile::Spec2024 => Family::Spec,
        Profile::Chromium | Profile::Chromium142 => Family::Chromium,
        Profile::Firefox => Family::Firefox,
    }
}

/// ECMAScript ToString, restated for the values whose text is plain: a
/// number only when it is a small integer (JavaScript's number formatting
/// is not restated here).
fn js_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() < 1 << 53 => i.to_string(),
            _ => return None,
        },
        Value::String(s) => s.clone(),
        Value::Object(_) => "[object Object]".into(),
        Value::Array(items) => {
            let parts: Option<Vec<String>> =
                items.iter().map(|i| if i.is_null() { Some(String::new()) } else { js_string(i) }).collect();
            parts?.join(",")
        }
    })
}

fn assertion(v: Option<&Value>, generation: Profile) -> Expect<Kind> {
    let profile = family(generation);
    let Some(top) = v.and_then(object) else { return Expect::Reject };
    // Firefox has no error API: the member is not read.
    let error = top.get("error").filter(|_| profile != Family::Firefox);
    match (profile, error) {
        (_, Some(Value::Object(_))) => return Expect::Accept(Kind::Error),
        (Family::Spec, Some(Value::Null | Value::Array(_))) => return Expect::Accept(Kind::Error),
        (Family::Spec, Some(_)) => return Expect::Reject,
        _ => {}
    }
    match (generation, top.get("token")) {
        (Profile::Spec | Profile::Chromium, Some(token)) => return Expect::Accept(Kind::Token(Some(token.clone()))),
        (Profile::Spec2024 | Profile::Firefox, Some(token)) => {
            return Expect::Accept(Kind::Token(js_string(token).map(Value::String)))
        }
        (Profile::Chromium142, Some(token @ Value::String(_))) => {
            return Expect::Accept(Kind::Token(Some(token.clone())))
        }
        // Chromium before 143: any other token is no token.
        _ => {}
    }
    match (profile, top.get("continue_on")) {
        (Family::Spec | Family::Firefox, Some(_)) => Expect::Accept(Kind::ContinueOn),
        (Family::Chromium, Some(Value::String(s))) if assertion_endpoint().url().join(s).is_ok() => {
            Expect::Accept(Kind::ContinueOn)
        }
        _ => Expect::Reject,
    }
}
