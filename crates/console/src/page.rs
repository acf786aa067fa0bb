//! The Live Trader page (seed 004 §6): `assets/live_trading.{html,js,css}` compiled into the
//! binary and served at `/`, `/live_trading.html` and `/assets/…` without the token (the page
//! holds no data; it asks for the token and sends it on every API call).
//!
//! Served with a Content-Security-Policy that allows only this origin's scripts, styles and
//! connections (no inline script, no CDN), and `X-Frame-Options: DENY`.

use crate::server::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page.
pub const HTML: &str = include_str!("../assets/live_trading.html");
/// Its script.
pub const JS: &str = include_str!("../assets/live_trading.js");
/// Its stylesheet.
pub const CSS: &str = include_str!("../assets/live_trading.css");

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { asset(HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/live_trading.html",
            get(|| async { asset(HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/assets/live_trading.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/live_trading.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
}

fn asset(body: &'static str, mime: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids the browser test and docs/console.md rely on.
    pub(crate) const IDS: [&str; 10] = [
        "token",
        "btn-start",
        "btn-stop",
        "trades-table",
        "events-table",
        "btn-dl-trades",
        "btn-dl-events",
        "btn-dl-xlsx",
        "equity-canvas",
        "btn-login",
    ];

    #[test]
    fn the_page_has_its_stable_ids_and_no_inline_script() {
        for id in IDS {
            assert!(HTML.contains(&format!("id=\"{id}\"")), "missing #{id}");
        }
        for seg in ["NIFTY", "BANKNIFTY", "SENSEX"] {
            for prefix in ["seg", "pyramid", "lotadd", "maxqty"] {
                assert!(
                    HTML.contains(&format!("id=\"{prefix}-{seg}\"")),
                    "{prefix}-{seg}"
                );
            }
        }
        // Cards are built by the script with these ids.
        assert!(JS.contains("\"card-\" + seg") && JS.contains("\"card-\" + seg + \"-state\""));
        assert_eq!(HTML.matches("<script").count(), 1);
        assert!(HTML.contains("<script src=\"/assets/live_trading.js\""));
        assert!(!HTML.contains("http://") && !HTML.contains("https://"));
        assert!(!JS.contains("innerHTML"));
    }

    #[test]
    fn seed_004_defaults_are_next_to_each_segment() {
        for (seg, p, l, m) in [
            ("NIFTY", 10, 5, 1500),
            ("BANKNIFTY", 20, 10, 1000),
            ("SENSEX", 20, 10, 1000),
        ] {
            let row_start = HTML.find(&format!("id=\"seg-{seg}\"")).unwrap();
            let row = &HTML[row_start..row_start + 600];
            assert!(
                row.contains(&format!(
                    "id=\"pyramid-{seg}\" type=\"number\" min=\"0\" step=\"any\" value=\"{p}\""
                )),
                "{seg}"
            );
            assert!(
                row.contains(&format!(
                    "id=\"lotadd-{seg}\" type=\"number\" min=\"0\" step=\"1\" value=\"{l}\""
                )),
                "{seg}"
            );
            assert!(
                row.contains(&format!(
                    "id=\"maxqty-{seg}\" type=\"number\" min=\"0\" step=\"1\" value=\"{m}\""
                )),
                "{seg}"
            );
        }
    }
}
