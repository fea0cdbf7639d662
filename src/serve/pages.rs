//! Pages `fedcm serve --tls` answers besides the scenario's responses, for
//! a real browser (`fedcm browser`): a blank RP page to call FedCM from,
//! and an IdP page that sets the IdP's login status (`Set-Login`) and a
//! probe cookie. Browsers offer no other way to set login status from
//! outside, and the cookie shows which FedCM requests carry credentials.
//! They live under one reserved path, [`PREFIX`], on every host.

use fedcm_model::HttpResponse;

/// The path prefix of the harness pages.
pub const PREFIX: &str = "/.fedcm/";

/// The RP page's path.
pub const RP_PAGE: &str = "/.fedcm/rp";

/// The IdP page's path; `?login=logged-in` or `?login=logged-out` adds the
/// `Set-Login` header.
pub const IDP_PAGE: &str = "/.fedcm/idp";

/// The cookie the IdP page sets: `SameSite=None; Secure`, as only such a
/// cookie reaches FedCM's credentialed fetches.
pub const PROBE_COOKIE: &str = "fedcm_probe=1";

fn html(status: u16, title: &str) -> HttpResponse {
    let body = format!("<!doctype html><meta charset=utf-8><title>{title}</title><p>{title}</p>\n");
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "no-store".into()),
        ],
        body: body.into_bytes(),
    }
}

/// The page for `path_and_query` if it is one of the harness pages; any
/// other path under [`PREFIX`] gets 404. A request that is no FedCM fetch
/// (its `Sec-Fetch-Dest` is not `webidentity`: the pages' own favicon)
/// is the pages' traffic, answered 404 unchecked and unrecorded.
pub(crate) fn page(path_and_query: &str, headers: &[(String, String)]) -> Option<HttpResponse> {
    let dest = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("sec-fetch-dest")).map(|(_, v)| v.as_str());
    if !path_and_query.starts_with(PREFIX) {
        return (dest != Some("webidentity")).then(|| html(404, "not a FedCM request"));
    }
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    match path {
        RP_PAGE => Some(html(200, "fedcm browser: RP page")),
        IDP_PAGE => {
            let login = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "login").map(|(_, v)| v);
            let mut page = html(200, "fedcm browser: IdP page");
            match login.as_deref() {
                None => {}
                Some(status @ ("logged-in" | "logged-out")) => page.headers.push(("set-login".into(), status.into())),
                Some(_) => return Some(html(400, "login must be logged-in or logged-out")),
            }
            page.headers.push(("set-cookie".into(), format!("{PROBE_COOKIE}; Path=/; SameSite=None; Secure")));
            Some(page)
        }
        _ => Some(html(404, "no such harness page")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str) -> Option<HttpResponse> {
        super::page(path, &[("sec-fetch-dest".into(), "webidentity".into())])
    }

    #[test]
    fn only_reserved_paths_are_pages() {
        assert!(page("/config.json").is_none());
        let favicon = super::page("/favicon.ico", &[("sec-fetch-dest".into(), "image".into())]);
        assert_eq!(favicon.map(|p| p.status), Some(404));
        assert_eq!(page("/.fedcm/rp").map(|p| p.status), Some(200));
        assert_eq!(page("/.fedcm/nope").map(|p| p.status), Some(404));
        assert_eq!(page("/.fedcm/idp?login=maybe").map(|p| p.status), Some(400));
        let out = page("/.fedcm/idp?login=logged-out").unwrap();
        assert!(out.headers.contains(&("set-login".into(), "logged-out".into())));
        let plain = page("/.fedcm/idp").unwrap();
        assert!(!plain.headers.iter().any(|(k, _)| k == "set-login"));
    }
}
