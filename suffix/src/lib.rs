//! The public suffix list, behind one non-generic function.
//!
//! `psl` compiles the list into a generic, inlined lookup, so its code
//! (about 65,000 branches) lands in whichever crate calls it. Here it is
//! instantiated once, in this crate, and the model calls it through
//! [`registrable_domain`], which is never inlined. That lets the fuzz builds
//! compile this crate and `psl` without coverage counters
//! (`fuzz/uninstrumented.sh`): the list is a third party's table, and
//! libFuzzer scanning its counters after every execution was most of its
//! work in the targets that reach a site check (docs/fuzzing.md).
#![forbid(unsafe_code)]

/// The registrable domain (eTLD+1) of a host name, by the public suffix
/// list; `None` where the name is itself a public suffix or has no label
/// left of one.
#[inline(never)]
pub fn registrable_domain(host: &str) -> Option<&str> {
    psl::domain_str(host)
}

#[cfg(test)]
mod tests {
    use super::registrable_domain;

    #[test]
    fn one_label_left_of_the_longest_suffix() {
        assert_eq!(registrable_domain("idp.example.com"), Some("example.com"));
        assert_eq!(registrable_domain("a.b.example.co.uk"), Some("example.co.uk"));
        // A private-section suffix: each user's site is its own registrable domain.
        assert_eq!(registrable_domain("rp.github.io"), Some("rp.github.io"));
    }

    #[test]
    fn a_bare_suffix_has_none() {
        assert_eq!(registrable_domain("com"), None);
        assert_eq!(registrable_domain("co.uk"), None);
        assert_eq!(registrable_domain(""), None);
    }
}
