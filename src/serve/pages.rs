//! Pages `fedcm serve --tls` answers besides the scenario's responses, for
//! a real browser (`fedcm browser`): a blank RP page to call FedCM from,
//! and an IdP page that sets the IdP's login status (`Set-Login`) and a
//! probe cookie. Browsers offer no other way to set login status from
//! outside, and the cookie shows which FedCM requests carry credentials.
//! A session's login-status signals have pages of their own: a frame that
//! frames the next page of a chain, a page that calls
//! `navigator.login.setStatus()`, one that fetches a URL, and a response
//! with the `Set-Login` header the query asks for.
//! They live under one reserved path, [`PREFIX`], on every host.

use fedcm_model::HttpResponse;

/// The path prefix of the harness pages.
pub const PREFIX: &str = "/.fedcm/";

/// The RP page's path; `?csp=POLICY` serves it with that
/// `Content-Security-Policy` header (`rp.csp`).
pub const RP_PAGE: &str = "/.fedcm/rp";

/// A top-level page that frames the RP page (`rp.embedder`).
pub const EMBED_PAGE: &str = "/.fedcm/embed";

/// The IdP page's path; `?login=logged-in` or `?login=logged-out` adds the
/// `Set-Login` header.
pub const IDP_PAGE: &str = "/.fedcm/idp";

/// A page that frames `?next=URL` (an https URL) and passes up what the
/// frame posts: one link of the chain of frames around a login-status
/// signal, or around a framed RP page (`rp.frames`). Every page of the
/// chain keeps the signal's result in the global [`SIGNAL_RESULT`] (a
/// promise) and posts it to its parent. With `&allow=1` the iframe has
/// `allow="identity-credentials-get"`; it fills the page, so a click in
/// the outermost frame lands in the innermost.
pub const FRAME_PAGE: &str = "/.fedcm/frame";

/// A page that calls `navigator.login.setStatus(?status)` when it loads,
/// its result `{"signal": "resolved"}` or `{"signal": "rejected", "name",
/// "message"}`.
pub const SET_STATUS_PAGE: &str = "/.fedcm/set-status";

/// A page that fetches `?url=URL` with `credentials: "include"` and
/// `mode: "no-cors"` when it loads: `{"signal": "sent"}` once the response
/// has arrived, `{"signal": "rejected", ...}` if the fetch failed.
pub const FETCH_PAGE: &str = "/.fedcm/fetch";

/// A page answered with `Set-Login: ?value` (percent-decoded, as sent);
/// loaded as a document, its result is `{"signal": "sent"}`. Fetched as a
/// subresource (`Sec-Fetch-Dest` not a document or frame), it is an empty
/// script, which Chromium's Opaque Response Blocking lets through to a
/// no-cors fetch of another origin (an HTML response's headers would not
/// reach the renderer, which reads `Set-Login`).
pub const SET_LOGIN_PAGE: &str = "/.fedcm/set-login";

/// The global in which the pages of a signal keep its result, a promise.
pub const SIGNAL_RESULT: &str = "__fedcmSignal";

/// The config of the IdP the harness signs in to before a scenario's call,
/// to give the browser the connections the scenario declares (no DevTools
/// command writes them). Served on any IdP origin while a [`Prime`] is set.
pub const PRIME_CONFIG: &str = "/.fedcm/prime/config.json";
const PRIME_ACCOUNTS: &str = "/.fedcm/prime/accounts";
const PRIME_ASSERTION: &str = "/.fedcm/prime/assertion";

/// The token the priming sign-in resolves with.
pub const PRIME_TOKEN: &str = "fedcm-prime";

/// A priming sign-in in progress: its config URL (listed by every
/// well-known file meanwhile, so the browser's well-known check passes
/// whatever the scenario serves there) and the one account it offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Prime {
    pub config_url: String,
    pub account: String,
}

/// The cookie the IdP page sets: `SameSite=None; Secure`, as only such a
/// cookie reaches FedCM's credentialed fetches.
pub const PROBE_COOKIE: &str = "fedcm_probe=1";

/// The RP page, framed, runs the call its parent or the top-level page
/// posts to it (a script that evaluates to a promise of a
/// structured-cloneable result) and posts the result back to the sender:
/// a cross-origin frame cannot be scripted from its embedder, and DevTools
/// would need the frame's own target. The top-level page posts to an RP
/// page nested in frames directly (`frames[0]` down the chain).
const RP_FRAME_SCRIPT: &str = "<script>addEventListener('message', async (e) => {\n\
    if (e.source !== parent && e.source !== top) return;\n\
    const result = await (0, eval)(e.data);\n\
    e.source.postMessage(result, e.origin === 'null' ? '*' : e.origin);\n\
});</script>";

/// What every signal page does with its result: keeps it and posts it up.
const SIGNAL_TAIL: &str = "window.__fedcmSignal.then((r) => { if (parent !== window) parent.postMessage(r, '*'); });\n";

/// The chain's frame: frames `next` and passes up what it posts.
fn frame_script() -> String {
    format!(
        "<script>\n\
const next = new URLSearchParams(location.search).get('next') || '';\n\
const frame = document.createElement('iframe');\n\
let settle;\n\
window.__fedcmSignal = new Promise((r) => {{ settle = r; }});\n\
addEventListener('message', (e) => {{ if (e.source === frame.contentWindow) settle(e.data); }});\n\
if (new URLSearchParams(location.search).get('allow') === '1') frame.allow = 'identity-credentials-get';\n\
frame.style = 'position: fixed; inset: 0; width: 100%; height: 100%; border: 0';\n\
if (next.startsWith('https://')) {{ frame.src = next; document.body.appendChild(frame); }}\n\
else settle({{signal: 'rejected', name: 'HarnessError', message: 'next is not an https URL'}});\n\
{SIGNAL_TAIL}</script>"
    )
}

fn set_status_script() -> String {
    format!(
        "<script>\n\
const status = new URLSearchParams(location.search).get('status');\n\
window.__fedcmSignal = (async () => {{\n\
    try {{ await navigator.login.setStatus(status); return {{signal: 'resolved'}}; }}\n\
    catch (e) {{ return {{signal: 'rejected', name: String(e && e.name), message: String(e && e.message)}}; }}\n\
}})();\n{SIGNAL_TAIL}</script>"
    )
}

fn fetch_script() -> String {
    format!(
        "<script>\n\
const url = new URLSearchParams(location.search).get('url');\n\
window.__fedcmSignal = fetch(url, {{credentials: 'include', mode: 'no-cors'}})\n\
    .then((r) => r.arrayBuffer())\n\
    .then(() => ({{signal: 'sent'}}), (e) => ({{signal: 'rejected', name: String(e && e.name), message: String(e && e.message)}}));\n\
{SIGNAL_TAIL}</script>"
    )
}

fn set_login_script() -> String {
    format!("<script>\nwindow.__fedcmSignal = Promise.resolve({{signal: 'sent'}});\n{SIGNAL_TAIL}</script>")
}

/// Whether `value` can be sent as a header value as it is: visible ASCII,
/// spaces and tabs.
fn header_safe(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

fn html(status: u16, title: &str) -> HttpResponse {
    html_with(status, title, "")
}

fn html_with(status: u16, title: &str, script: &str) -> HttpResponse {
    let body = format!("<!doctype html><meta charset=utf-8><title>{title}</title><p>{title}</p>{script}\n");
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
pub(crate) fn page(path_and_query: &str, headers: &[(String, String)], prime: Option<&Prime>) -> Option<HttpResponse> {
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let dest = header("sec-fetch-dest");
    if let Some(prime) = prime {
        if let Some(answer) = prime_document(prime, path_and_query, header("origin")) {
            return Some(answer);
        }
    }
    if !path_and_query.starts_with(PREFIX) {
        return (dest != Some("webidentity")).then(|| html(404, "not a FedCM request"));
    }
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    match path {
        RP_PAGE => {
            let mut page = html_with(200, "fedcm browser: RP page", RP_FRAME_SCRIPT);
            if let Some((_, csp)) = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "csp") {
                if !header_safe(&csp) {
                    return Some(html(400, "csp must be in visible ASCII"));
                }
                page.headers.push(("content-security-policy".into(), csp.into_owned()));
            }
            Some(page)
        }
        EMBED_PAGE => Some(html(200, "fedcm browser: embedder page")),
        FRAME_PAGE => Some(html_with(200, "fedcm browser: frame", &frame_script())),
        SET_STATUS_PAGE => Some(html_with(200, "fedcm browser: setStatus()", &set_status_script())),
        FETCH_PAGE => Some(html_with(200, "fedcm browser: fetch", &fetch_script())),
        SET_LOGIN_PAGE => {
            let value = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "value").map(|(_, v)| v);
            let Some(value) = value.filter(|v| header_safe(v)) else {
                return Some(html(400, "value must be given, in visible ASCII"));
            };
            let mut page = html_with(200, "fedcm browser: Set-Login", &set_login_script());
            // Fetched by a document of another origin in no-cors mode, an
            // HTML (or JSON) response is withheld by Chromium's Opaque
            // Response Blocking, headers and all, before the renderer
            // reads Set-Login; a script is let through.
            if !matches!(dest, Some("document" | "iframe" | "frame")) {
                page.headers[0].1 = "text/javascript".into();
                page.body = b"// fedcm browser: Set-Login\n".to_vec();
            }
            page.headers.push(("set-login".into(), value.into_owned()));
            Some(page)
        }
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

/// The priming IdP's documents: a well-known file naming its config, the
/// config, one account, and a token whose CORS headers admit the caller.
fn prime_document(prime: &Prime, path_and_query: &str, origin: Option<&str>) -> Option<HttpResponse> {
    let path = path_and_query.split_once('?').map_or(path_and_query, |(p, _)| p);
    let body = match path {
        "/.well-known/web-identity" => serde_json::json!({"provider_urls": [prime.config_url]}),
        PRIME_CONFIG => serde_json::json!({
            "accounts_endpoint": PRIME_ACCOUNTS,
            "id_assertion_endpoint": PRIME_ASSERTION,
            "login_url": IDP_PAGE,
        }),
        PRIME_ACCOUNTS => serde_json::json!({"accounts": [{
            "id": prime.account, "name": "Primed account", "email": "primed@fedcm.invalid"
        }]}),
        PRIME_ASSERTION => {
            let mut r = HttpResponse::json(serde_json::json!({"token": PRIME_TOKEN}).to_string());
            if let Some(origin) = origin {
                r.headers.push(("access-control-allow-origin".into(), origin.into()));
                r.headers.push(("access-control-allow-credentials".into(), "true".into()));
            }
            return Some(r);
        }
        _ => return None,
    };
    Some(HttpResponse::json(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str) -> Option<HttpResponse> {
        super::page(path, &[("sec-fetch-dest".into(), "webidentity".into())], None)
    }

    #[test]
    fn a_prime_takes_over_the_well_known_file_and_answers_with_cors() {
        let prime = Prime { config_url: "https://idp.example/.fedcm/prime/config.json".into(), account: "1234".into() };
        let headers =
            [("sec-fetch-dest".to_string(), "webidentity".to_string()), ("origin".into(), "https://rp.example".into())];
        let get = |path: &str| super::page(path, &headers, Some(&prime)).unwrap();
        let well_known = get("/.well-known/web-identity");
        assert!(String::from_utf8_lossy(&well_known.body).contains(&prime.config_url));
        let accounts = get("/.fedcm/prime/accounts");
        assert!(String::from_utf8_lossy(&accounts.body).contains(r#""id":"1234""#));
        let token = get("/.fedcm/prime/assertion");
        assert!(token.headers.contains(&("access-control-allow-origin".into(), "https://rp.example".into())));
        // Without a prime, the well-known file is the scenario's.
        assert!(super::page("/.well-known/web-identity", &headers, None).is_none());
    }

    #[test]
    fn only_reserved_paths_are_pages() {
        assert!(page("/config.json").is_none());
        let favicon = super::page("/favicon.ico", &[("sec-fetch-dest".into(), "image".into())], None);
        assert_eq!(favicon.map(|p| p.status), Some(404));
        assert_eq!(page("/.fedcm/rp").map(|p| p.status), Some(200));
        let csp = page("/.fedcm/rp?csp=connect-src+%27self%27").unwrap();
        assert!(csp.headers.contains(&("content-security-policy".into(), "connect-src 'self'".into())));
        assert!(!page("/.fedcm/rp").unwrap().headers.iter().any(|(k, _)| k == "content-security-policy"));
        assert_eq!(page("/.fedcm/nope").map(|p| p.status), Some(404));
        assert_eq!(page("/.fedcm/idp?login=maybe").map(|p| p.status), Some(400));
        let out = page("/.fedcm/idp?login=logged-out").unwrap();
        assert!(out.headers.contains(&("set-login".into(), "logged-out".into())));
        let plain = page("/.fedcm/idp").unwrap();
        assert!(!plain.headers.iter().any(|(k, _)| k == "set-login"));
    }

    #[test]
    fn signal_pages_send_set_login_as_asked_and_keep_their_result() {
        let sent = page("/.fedcm/set-login?value=logged-in%3B+type%3Didp").unwrap();
        assert_eq!(sent.status, 200);
        assert!(sent.headers.contains(&("set-login".into(), "logged-in; type=idp".into())), "{:?}", sent.headers);
        assert_eq!(page("/.fedcm/set-login?value=Logged-In").unwrap().headers.last().unwrap().1, "Logged-In");
        assert_eq!(page("/.fedcm/set-login").map(|p| p.status), Some(400));
        assert_eq!(page("/.fedcm/set-login?value=a%0D%0Ab").map(|p| p.status), Some(400));
        // A document gets HTML; a fetch a script, which ORB lets through.
        let as_doc = |dest: &str| {
            let headers = [("sec-fetch-dest".to_string(), dest.to_string())];
            super::page("/.fedcm/set-login?value=logged-out", &headers, None).unwrap().headers[0].1.clone()
        };
        assert_eq!(as_doc("document"), "text/html; charset=utf-8");
        assert_eq!(as_doc("iframe"), "text/html; charset=utf-8");
        assert_eq!(as_doc("empty"), "text/javascript");
        for path in [
            "/.fedcm/frame?next=x",
            "/.fedcm/set-status?status=logged-out",
            "/.fedcm/fetch?url=x",
            "/.fedcm/set-login?value=x",
        ] {
            let headers = [("sec-fetch-dest".to_string(), "document".to_string())];
            let body = String::from_utf8(super::page(path, &headers, None).unwrap().body).unwrap();
            assert!(body.contains(SIGNAL_RESULT), "{path}: {body}");
        }
    }
}
