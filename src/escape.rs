//! Text from IdPs and scenario files, made safe to print on a terminal.
//!
//! An account id or error message can carry escape sequences that set the
//! window title, clear the screen or reorder what the reader sees. Every
//! human-readable renderer passes what it prints through here; `--json`
//! output is escaped by the JSON encoder instead.

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

/// A whole rendered report: like [`line`] but keeps the newlines the
/// renderer wrote. The last guard, applied to everything a renderer returns.
pub fn block(s: &str) -> Cow<'_, str> {
    escape(s, true)
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
}
