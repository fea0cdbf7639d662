//! The world the tests share: one RP, the IdP origins, the smallest valid
//! IdP documents and responses that pass the RP's CORS check. One copy, so
//! that a test, a benchmark, the explorer and the fuzz harness agree on
//! what "the RP" and "a valid config" are.

use fedcm_model::machine::browser::{BrowserState, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult};
use fedcm_model::machine::Rp;
use fedcm_model::HttpResponse;
use serde_json::{json, Value};
use url::Url;

/// The RP's origin.
pub const RP: &str = "https://rp.example";

/// The one IdP of single-provider tests.
pub const IDP: &str = "https://idp.example";

/// The config URL of [`IDP`] in single-provider tests.
pub const IDP_CONFIG_URL: &str = "https://idp.example/config.json";

/// Three IdPs: the first two cross-site with [`RP`], the third same-site
/// with it (so it has no well-known fetch). The explorer uses the first two.
pub const IDPS: [&str; 3] = ["https://idp1.example", "https://idp2.example", "https://idp.rp.example"];

/// The smallest config with every required endpoint, relative to its IdP.
pub const CONFIG: &str =
    r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assertion","login_url":"/login"}"#;

/// The RP of [`RP`], in the top-level frame.
// `RP` is a constant that parses: every test that builds a flow uses it.
#[allow(clippy::expect_used)]
pub fn rp() -> Rp {
    Rp::new(Url::parse(RP).expect("RP is a valid URL"))
}

/// The origin of provider `i` in the many-provider tests and benchmarks:
/// `https://idp{i}.example`.
pub fn idp_origin(i: usize) -> String {
    format!("https://idp{i}.example")
}

/// A JSON response that passes the RP's credentialed CORS check.
pub fn cors_json(body: impl Into<Vec<u8>>) -> HttpResponse {
    HttpResponse::json(body)
        .with_header("access-control-allow-origin", RP)
        .with_header("access-control-allow-credentials", "true")
}

/// The `get()` options and browser state of a sign-in over `n` providers
/// on `n` IdP origins ([`idp_origin`]), all logged in: the scaling tests'
/// and benchmarks' world.
pub fn many_providers(n: usize) -> (Value, BrowserState) {
    let providers: Vec<Value> =
        (0..n).map(|i| json!({"configURL": format!("{}/config.json", idp_origin(i)), "clientId": "c"})).collect();
    let mut browser = BrowserState::default();
    for i in 0..n {
        browser.set_login_status(&idp_origin(i), LoginStatus::LoggedIn);
    }
    (json!({"identity": {"providers": providers}}), browser)
}

/// The IdPs of [`many_providers`]: each sends the well-known file, the
/// [`CONFIG`] and one account, `a<i>` for provider `i`, and every assertion
/// gets the token `"t"`; anything else is a 404.
pub fn many_providers_response(request: &FetchRequest) -> FetchResult {
    let body = match request.kind {
        FetchKind::WellKnown => {
            format!(r#"{{"provider_urls": ["{}/config.json"]}}"#, idp_origin(request.provider))
        }
        FetchKind::Config => CONFIG.to_string(),
        FetchKind::Accounts => {
            format!(r#"{{"accounts": [{{"id": "a{}", "name": "N", "email": "n@x.example"}}]}}"#, request.provider)
        }
        FetchKind::Assertion => r#"{"token": "t"}"#.to_string(),
        _ => return Ok(HttpResponse::json("").with_status(404)),
    };
    Ok(cors_json(body))
}
