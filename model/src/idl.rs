//! WebIDL dictionary conversion of JSON values, per profile.
//!
//! Under `Profile::Spec` this is what "converted to an IDL value" does to a
//! parsed JSON value (spec `#helper-algorithms`): strings are made with
//! ToString (`5` becomes `"5"`, `null` becomes `"null"`), booleans with
//! ToBoolean (`"false"` is true), sequences must be arrays and one bad
//! element fails the whole document. Coercions that are probably mistakes
//! are reported as warnings. Under `Profile::Chromium` a member of the wrong
//! JSON type counts as absent, as `base::Value::Dict::Find*` reads it.

use crate::idp::Cx;
use crate::json::{Json, Object};
use crate::problem::{Path, Rule};
use std::borrow::Cow;

/// A converted dictionary: `None` members where WebIDL finds none (a `null`
/// or array value converts to an empty dictionary).
#[derive(Clone, Copy)]
pub(crate) struct Dict<'j, 'a>(Option<&'j Object<'a>>);

impl<'j, 'a> Dict<'j, 'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'j Json<'a>> {
        self.0.and_then(|o| o.get(key))
    }
}

/// Converts a value to a dictionary. Returns `None` (and records an error
/// under the spec, nothing under Chromium, where the caller decides) when
/// it cannot be one.
pub(crate) fn dictionary<'j, 'a>(cx: &mut Cx, path: &Path, value: &'j Json<'a>) -> Option<Dict<'j, 'a>> {
    match value {
        Json::Object(o) => Some(Dict(Some(o))),
        Json::Null | Json::Array(_) if cx.profile.coerces_types() => Some(Dict(None)),
        other => {
            if cx.profile.coerces_types() {
                cx.error(path, Rule::WrongType { expected: "an object", found: other.json_type() });
            }
            None
        }
    }
}

/// The top level of a document: an object, or (spec) what WebIDL turns into
/// a dictionary. Chromium requires an object.
pub(crate) fn top_level<'j, 'a>(cx: &mut Cx, value: &'j Json<'a>) -> Option<Dict<'j, 'a>> {
    match value {
        Json::Object(o) => Some(Dict(Some(o))),
        Json::Null | Json::Array(_) if cx.profile.coerces_types() => {
            cx.warn(&Path::Root, Rule::Coerced { found: value.json_type(), result: "{}".into() });
            Some(Dict(None))
        }
        other => {
            cx.error(&Path::Root, Rule::NotAnObject { found: other.json_type() });
            None
        }
    }
}

/// An optional member that is a dictionary.
pub(crate) fn member_dictionary<'j, 'a>(cx: &mut Cx, path: &Path, value: Option<&'j Json<'a>>) -> Option<Dict<'j, 'a>> {
    let value = value?;
    let dict = dictionary(cx, path, value);
    if dict.is_none() && !cx.profile.coerces_types() {
        cx.warn(path, Rule::IgnoredWrongType { expected: "an object", found: value.json_type() });
    }
    dict
}

/// A `USVString`/`DOMString` member; `None` when absent (or ignored).
pub(crate) fn string<'a>(cx: &mut Cx, path: &Path, value: Option<&Json<'a>>) -> Option<Cow<'a, str>> {
    match value? {
        Json::String(s) => Some(s.clone()),
        other if cx.profile.coerces_types() => {
            let result = to_js_string(other);
            cx.warn(path, Rule::Coerced { found: other.json_type(), result: result.clone() });
            Some(Cow::Owned(result))
        }
        other => {
            cx.warn(path, Rule::IgnoredWrongType { expected: "a string", found: other.json_type() });
            None
        }
    }
}

/// A `required` string member: absent (or, in Chromium, of the wrong type)
/// is an error.
pub(crate) fn required_string<'a>(cx: &mut Cx, path: &Path, value: Option<&Json<'a>>) -> Option<Cow<'a, str>> {
    match value {
        None => {
            cx.error(path, Rule::MissingRequired);
            None
        }
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) if cx.profile.coerces_types() => string(cx, path, Some(other)),
        Some(other) => {
            cx.error(path, Rule::WrongType { expected: "a string", found: other.json_type() });
            None
        }
    }
}

/// A `boolean` member.
pub(crate) fn boolean(cx: &mut Cx, path: &Path, value: Option<&Json>) -> Option<bool> {
    match value? {
        Json::Bool(b) => Some(*b),
        other if cx.profile.coerces_types() => {
            let result = to_js_boolean(other);
            cx.warn(path, Rule::Coerced { found: other.json_type(), result: result.to_string() });
            Some(result)
        }
        other => {
            cx.warn(path, Rule::IgnoredWrongType { expected: "a boolean", found: other.json_type() });
            None
        }
    }
}

/// An `unsigned long` member (no `[EnforceRange]`: wraps modulo 2^32).
pub(crate) fn unsigned_long(cx: &mut Cx, path: &Path, value: Option<&Json>) -> Option<u32> {
    let value = value?;
    if let Json::Number(n) = value {
        if n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64 {
            return Some(*n as u32);
        }
    }
    if cx.profile.coerces_types() {
        let result = to_uint32(to_js_number(value));
        cx.warn(path, Rule::Coerced { found: value.json_type(), result: result.to_string() });
        Some(result)
    } else {
        cx.warn(path, Rule::IgnoredWrongType { expected: "a non-negative integer", found: value.json_type() });
        None
    }
}

/// What Chromium does with a string list that holds something else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListPolicy {
    /// Hints, labels, approved clients: non-strings are dropped, a non-list
    /// is ignored.
    Lenient,
    /// `provider_urls`: a non-list or a non-string entry fails the document.
    Strict,
}

/// A `sequence<USVString>` member.
pub(crate) fn string_list<'a>(
    cx: &mut Cx,
    path: &Path,
    value: Option<&Json<'a>>,
    policy: ListPolicy,
) -> Option<Vec<Cow<'a, str>>> {
    let value = value?;
    let Json::Array(items) = value else {
        if cx.profile.coerces_types() || policy == ListPolicy::Strict {
            cx.error(path, Rule::WrongType { expected: "an array of strings", found: value.json_type() });
        } else {
            cx.warn(path, Rule::IgnoredWrongType { expected: "an array of strings", found: value.json_type() });
        }
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Json::String(s) => out.push(s.clone()),
            other if cx.profile.coerces_types() => out.push(string(cx, &path.index(i), Some(other))?),
            other if policy == ListPolicy::Strict => {
                cx.error(&path.index(i), Rule::WrongType { expected: "a string", found: other.json_type() });
            }
            other => cx.warn(&path.index(i), Rule::IgnoredWrongType { expected: "a string", found: other.json_type() }),
        }
    }
    Some(out)
}

/// ECMAScript ToString of a JSON value.
pub(crate) fn to_js_string(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => js_number_to_string(*n),
        Json::String(s) => s.to_string(),
        Json::Object(_) => "[object Object]".into(),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::Null => String::new(),
                other => to_js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// ECMAScript Number::toString (shortest round-trip, `1e+21` style).
pub(crate) fn js_number_to_string(n: f64) -> String {
    ryu_js::Buffer::new().format(n).to_string()
}

/// ECMAScript ToBoolean.
pub(crate) fn to_js_boolean(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => !(*n == 0.0 || n.is_nan()),
        Json::String(s) => !s.is_empty(),
        Json::Array(_) | Json::Object(_) => true,
    }
}

/// ECMAScript ToNumber.
pub(crate) fn to_js_number(value: &Json) -> f64 {
    match value {
        Json::Null => 0.0,
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::Number(n) => *n,
        Json::String(s) => string_to_number(s),
        Json::Array(_) => string_to_number(&to_js_string(value)),
        Json::Object(_) => f64::NAN,
    }
}

/// ECMAScript StringToNumber, for the forms JSON can carry.
fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    let radix = |digits: &str, radix: u32| {
        if digits.is_empty() {
            return f64::NAN;
        }
        digits
            .chars()
            .try_fold(0f64, |acc, c| c.to_digit(radix).map(|d| acc * f64::from(radix) + f64::from(d)))
            .unwrap_or(f64::NAN)
    };
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return radix(h, 16);
    }
    if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        return radix(o, 8);
    }
    if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        return radix(b, 2);
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    // Rust also accepts "inf" and "nan"; JavaScript does not.
    if t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// `JSON.stringify` of a value that came from a JavaScript object: numbers
/// as JavaScript prints them (`2`, not `2.0`), and array-index keys first,
/// ascending, as JavaScript orders them. The other keys follow in the
/// map's order, which is sorted: the options reach the model as
/// `serde_json` values, which do not keep the order they were written in.
pub(crate) fn json_stringify(value: &serde_json::Value) -> String {
    let mut out = String::new();
    stringify_into(value, &mut out);
    out
}

fn stringify_into(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64().filter(|f| f.is_finite()) {
            Some(f) => out.push_str(&js_number_to_string(f)),
            None => out.push_str("null"),
        },
        Value::String(s) => push_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                stringify_into(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // An array index is a canonical decimal below 2^32 - 1.
            let index = |k: &str| k.parse::<u32>().ok().filter(|n| *n != u32::MAX && n.to_string() == k);
            let mut keys: Vec<(Option<u32>, &String)> = map.keys().map(|k| (index(k), k)).collect();
            keys.sort_by_key(|(n, _)| match n {
                Some(n) => (0, *n),
                None => (1, 0),
            });
            out.push('{');
            for (i, (_, key)) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(key, out);
                out.push(':');
                if let Some(v) = map.get(*key) {
                    stringify_into(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// A string as JSON text (serializing a `str` cannot fail).
fn push_json_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// WebIDL's conversion to `unsigned long` without `[EnforceRange]`.
pub(crate) fn to_uint32(n: f64) -> u32 {
    if !n.is_finite() {
        return 0;
    }
    let t = n.trunc();
    t.rem_euclid(4_294_967_296.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn js(text: &str) -> String {
        to_js_string(&parse(text).unwrap())
    }

    #[test]
    fn to_string_matches_javascript() {
        assert_eq!(js("123"), "123");
        assert_eq!(js("1e21"), "1e+21");
        assert_eq!(js("0.1"), "0.1");
        assert_eq!(js("-0"), "0");
        assert_eq!(js("true"), "true");
        assert_eq!(js("null"), "null");
        assert_eq!(js("{}"), "[object Object]");
        assert_eq!(js(r#"["a","b"]"#), "a,b");
        assert_eq!(js("[]"), "");
        assert_eq!(js("[null,1,[2,3]]"), ",1,2,3");
        assert_eq!(js("12345678901234567890"), "12345678901234567000");
    }

    #[test]
    fn stringify_keeps_javascript_property_order_and_numbers() {
        let v = parse(r#"{"b":1,"a":2.0,"10":3,"2":[1e21,0.5,"x\n"],"-1":null,"01":true}"#).unwrap().to_value();
        assert_eq!(json_stringify(&v), r#"{"2":[1e+21,0.5,"x\n"],"10":3,"-1":null,"01":true,"a":2,"b":1}"#);
    }

    #[test]
    fn to_boolean_matches_javascript() {
        for (text, b) in
            [("\"false\"", true), ("\"\"", false), ("0", false), ("{}", true), ("[]", true), ("null", false)]
        {
            assert_eq!(to_js_boolean(&parse(text).unwrap()), b, "{text}");
        }
    }

    #[test]
    fn unsigned_long_wraps_like_webidl() {
        let n = |t: &str| to_uint32(to_js_number(&parse(t).unwrap()));
        assert_eq!(n("-1"), 4_294_967_295);
        assert_eq!(n("\"25\""), 25);
        assert_eq!(n("\"abc\""), 0);
        assert_eq!(n("[5]"), 5);
        assert_eq!(n("4294967297"), 1);
        assert_eq!(n("32.9"), 32);
        assert_eq!(n("\"0x10\""), 16);
        assert_eq!(n("\"inf\""), 0);
        assert_eq!(n("\" 7 \""), 7);
    }
}
