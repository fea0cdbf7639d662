//! Text from IdPs and scenario files, made safe to print on a terminal.
//!
//! An account id or error message can carry escape sequences that set the
//! window title, clear the screen or reorder what the reader sees. Every
//! human-readable renderer passes what it prints through here, and `--json`
//! output through [`json`]: the JSON encoder escapes only C0 controls.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal raw: C0 controls, DEL, C1
/// controls, and the bidirectional formatting characters that make text
/// display in an order other than the one it is stored in.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let keep = |c: char| !unsafe_char(c) || (keep_newlines && c == '\n');
    if s.chars().all(keep) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if keep(c) {
            out.push(c);
        } else {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                _ => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        }
    }
    Cow::Owned(out)
}

/// One value on one line: every unsafe character, newlines included, is
/// shown as a Rust-style escape (`\u{1b}`, `\n`).
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// A whole rendered report: like [`line()`] but keeps the newlines the
/// renderer wrote. The last guard, applied to everything a renderer returns.
pub fn block(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Serialized JSON with the characters the encoder leaves raw (DEL, C1
/// controls such as U+009B, which terminals read as CSI, and the bidi
/// formatting characters) written as `\uXXXX`. Still the same JSON: these
/// characters can only occur inside strings, and all are in the BMP.
pub fn json(s: &str) -> Cow<'_, str> {
    let raw = |c: char| unsafe_char(c) && c >= '\u{7f}';
    if !s.chars().any(raw) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if raw(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_shown_not_sent() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}id\u{202e}txt";
        assert_eq!(line(hostile), "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{7f}id\\u{202e}txt");
        assert_eq!(line("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(block("a\nb\u{1b}\n"), "a\nb\\u{1b}\n");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in ["plain", "José 名前 😀", "https://idp.example/p?a=b"] {
            assert!(matches!(line(s), Cow::Borrowed(b) if b == s));
        }
    }

    #[test]
    fn json_keeps_its_meaning_without_raw_controls() {
        let value = serde_json::json!({"id": "\u{1b}[2J\u{9b}31m\u{7f}\u{202e}x\n"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json(&text);
        assert!(!safe.chars().any(unsafe_char_outside_layout), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    /// Unsafe characters other than the newlines and spaces of pretty JSON.
    fn unsafe_char_outside_layout(c: char) -> bool {
        unsafe_char(c) && c != '\n'
    }
}
