//! A borrowed JSON tree: the value "parse JSON bytes to a JavaScript value"
//! yields (spec `#helper-algorithms`), without copying strings that need no
//! unescaping.
//!
//! Why not `serde_json::Value`: it copies every string and builds a
//! `BTreeMap` per object, while a document is read once, field by field.
//! Objects keep their members in order; a repeated key resolves to the last
//! one, as `JSON.parse` does. Nesting is bounded at [`MAX_DEPTH`]
//! containers, as in Chromium's JSON reader (the spec sets no bound), so
//! hostile input cannot overflow the stack.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// One JSON value. Numbers are IEEE doubles, as in JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// A JSON object's members in document order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object<'a>(pub Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Object<'a> {
    /// The member named `key`; the last one wins when a key repeats.
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// The JSON type of a value, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// JSON `null`, which is not the same as an absent member.
    Null,
    /// `true` or `false`.
    Boolean,
    /// Any JSON number, integer or not.
    Number,
    /// A JSON string, after unescaping.
    String,
    /// A JSON array, of any element types.
    Array,
    /// A JSON object; of repeated keys the last wins.
    Object,
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonType::Null => "null",
            JsonType::Boolean => "a boolean",
            JsonType::Number => "a number",
            JsonType::String => "a string",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
        })
    }
}

impl<'a> Json<'a> {
    pub(crate) fn json_type(&self) -> JsonType {
        match self {
            Json::Null => JsonType::Null,
            Json::Bool(_) => JsonType::Boolean,
            Json::Number(_) => JsonType::Number,
            Json::String(_) => JsonType::String,
            Json::Array(_) => JsonType::Array,
            Json::Object(_) => JsonType::Object,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// An owned `serde_json::Value`, for values the model hands on opaque
    /// (the token, `params`).
    pub(crate) fn to_value(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(*b),
            // Integral values stay integers, as JavaScript prints them.
            Json::Number(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
                serde_json::Value::Number((*n as i64).into())
            }
            Json::Number(n) => {
                serde_json::Number::from_f64(*n).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
            }
            Json::String(s) => serde_json::Value::String(s.to_string()),
            Json::Array(items) => serde_json::Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(obj) => {
                let mut map = serde_json::Map::new();
                for (k, v) in &obj.0 {
                    map.insert(k.to_string(), v.to_value());
                }
                serde_json::Value::Object(map)
            }
        }
    }

    /// The same value owning all of its strings.
    pub(crate) fn into_owned(self) -> Json<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Number(n) => Json::Number(n),
            Json::String(s) => Json::String(own(s)),
            Json::Array(items) => Json::Array(items.into_iter().map(Json::into_owned).collect()),
            Json::Object(o) => Json::Object(Object(o.0.into_iter().map(|(k, v)| (own(k), v.into_owned())).collect())),
        }
    }

    /// A borrowed view of an owned `serde_json::Value` (for request options
    /// that arrive already parsed, as in scenario files).
    pub(crate) fn from_value(value: &'a serde_json::Value) -> Json<'a> {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => Json::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Json::String(Cow::Borrowed(s)),
            serde_json::Value::Array(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            serde_json::Value::Object(map) => Json::Object(Object(
                map.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::from_value(v))).collect(),
            )),
        }
    }
}

/// Why the bytes are not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The nesting limit was hit (a distinct rule: it protects the parser).
    pub too_deep: bool,
}

/// Containers may nest 199 deep; the 200th fails. This is Chromium's
/// `base::JSONReader` bound (`kAbsoluteMaxDepth`, checked as depth >= 200),
/// so a document Chromium reads is never refused as too deep here.
pub(crate) const MAX_DEPTH: usize = 200;

/// The error message of the depth bound (also how it is recognized).
const TOO_DEEP: &str = "nesting reaches the depth limit";

/// Parses strict RFC 8259 JSON text (no comments, no trailing commas).
pub(crate) fn parse(text: &str) -> Result<Json<'_>, SyntaxError> {
    let mut de = serde_json::Deserializer::from_str(text);
    // The visitor enforces MAX_DEPTH before it descends, so the stack stays
    // bounded without serde_json's own (lower) limit.
    de.disable_recursion_limit();
    let value = ValueSeed { depth: 0 }.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|e| {
        let message = e.to_string();
        SyntaxError {
            line: e.line(),
            column: e.column(),
            too_deep: message.starts_with(TOO_DEEP),
            message: strip_position(&message),
        }
    })
}

/// `text` with every `\u` escape of a lone UTF-16 surrogate (one not part
/// of a high-low pair) replaced by `\uFFFD`, or `None` when there is none.
///
/// `JSON.parse` accepts lone surrogates, and the WebIDL conversion to
/// `USVString` (every URL and identifier member) then turns each into
/// U+FFFD; serde_json refuses them. Rust strings cannot hold a lone
/// surrogate, so `DOMString` members and the token get U+FFFD too.
pub(crate) fn replace_lone_surrogates(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let hex_at = |i: usize| -> Option<u16> {
        let digits = bytes.get(i..i + 4)?;
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    // An escape `\uXXXX` starting at byte i, as a code unit.
    let unit_at = |i: usize| -> Option<u16> {
        if bytes.get(i) == Some(&b'\\') && bytes.get(i + 1) == Some(&b'u') {
            hex_at(i + 2)
        } else {
            None
        }
    };
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already in `out`
    let (mut i, mut in_string) = (0, false);
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                let Some(unit) = unit_at(i) else {
                    i += 2; // any other escape: skip the escaped character
                    continue;
                };
                let lone = match unit {
                    0xD800..=0xDBFF => match unit_at(i + 6) {
                        Some(0xDC00..=0xDFFF) => {
                            i += 12; // a valid pair
                            continue;
                        }
                        _ => true,
                    },
                    0xDC00..=0xDFFF => true,
                    _ => false,
                };
                if lone {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[copied..i]);
                    o.push_str("\\uFFFD");
                    copied = i + 6;
                }
                i += 6;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.map(|mut o| {
        o.push_str(&text[copied.min(text.len())..]);
        o
    })
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ValueSeed { depth: 0 }.deserialize(deserializer)
    }
}

/// A value `depth` containers deep.
struct ValueSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Json<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(JsonVisitor { depth: self.depth })
    }
}

struct JsonVisitor {
    depth: usize,
}

impl JsonVisitor {
    /// The seed for a container's members, or the depth error.
    fn enter<E: de::Error>(&self) -> Result<ValueSeed, E> {
        let depth = self.depth + 1;
        if depth >= MAX_DEPTH {
            return Err(E::custom(format_args!("{TOO_DEEP} ({MAX_DEPTH})")));
        }
        Ok(ValueSeed { depth })
    }
}

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Json::Number(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let depth = self.enter()?.depth;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(ValueSeed { depth })? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let depth = self.enter()?.depth;
        // IdP documents' objects mostly have a handful of members: start
        // with room for 8 rather than growing from 4.
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(ValueSeed { depth })?;
            members.push((key, value));
        }
        Ok(Json::Object(Object(members)))
    }
}

/// Borrows a key when it has no escapes (serde's own `Cow` impl always copies).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_duplicate_key_wins_like_json_parse() {
        let v = parse(r#"{"a":1,"a":2}"#).unwrap();
        let Json::Object(o) = v else { panic!() };
        assert_eq!(o.get("a"), Some(&Json::Number(2.0)));
    }

    #[test]
    fn unescaped_strings_are_borrowed() {
        let v = parse(r#"{"id":"plain","n":"esc\"aped"}"#).unwrap();
        let Json::Object(o) = v else { panic!() };
        assert!(matches!(o.get("id"), Some(Json::String(Cow::Borrowed(_)))));
        assert!(matches!(o.get("n"), Some(Json::String(Cow::Owned(_)))));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(100_000);
        let err = parse(&text).unwrap_err();
        assert!(err.too_deep, "{err:?}");
    }

    #[test]
    fn nesting_is_bounded_where_chromium_bounds_it() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&nested(MAX_DEPTH - 1)).is_ok());
        assert!(parse(&nested(MAX_DEPTH)).unwrap_err().too_deep);
        let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        assert!(parse(&objects(MAX_DEPTH - 1)).is_ok());
        assert!(parse(&objects(MAX_DEPTH)).unwrap_err().too_deep);
        // Other errors are not mistaken for depth.
        assert!(!parse("[1,]").unwrap_err().too_deep);
    }

    #[test]
    fn lone_surrogates_are_replaced_and_pairs_kept() {
        let fix = |s: &str| replace_lone_surrogates(s);
        assert_eq!(fix(r#"{"a":"\ud800"}"#).as_deref(), Some(r#"{"a":"\uFFFD"}"#));
        assert_eq!(fix(r#"{"a":"x\udc00y"}"#).as_deref(), Some(r#"{"a":"x\uFFFDy"}"#));
        assert_eq!(fix(r#"["\ud800\ud800\udc00"]"#).as_deref(), Some(r#"["\uFFFD\ud800\udc00"]"#));
        assert_eq!(fix(r#"["\ud83d\ude00", "\u00e9"]"#), None);
        // An escaped backslash followed by "ud800" is text, not an escape.
        assert_eq!(fix(r#"["\\ud800"]"#), None);
        // A high surrogate at the very end, or before a non-surrogate escape.
        assert_eq!(fix(r#""\ud800"#).as_deref(), Some(r#""\uFFFD"#));
        assert_eq!(fix(r#""\ud800\u0041""#).as_deref(), Some(r#""\uFFFD\u0041""#));
        // Keys too, and the result parses.
        let fixed = fix(r#"{"\udfff":"\udbff"}"#).unwrap();
        let Json::Object(o) = parse(&fixed).unwrap() else { panic!() };
        assert_eq!(o.get("\u{fffd}"), Some(&Json::String(Cow::Borrowed("\u{fffd}"))));
    }

    #[test]
    fn trailing_garbage_and_comments_are_rejected() {
        assert!(parse(r#"{} x"#).is_err());
        assert!(parse("{/*c*/}").is_err());
        assert!(parse(r#"{"a":1,}"#).is_err());
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("{\n  \"a\": tru }").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.column > 0);
        assert!(!err.message.contains(" at line "));
    }
}
