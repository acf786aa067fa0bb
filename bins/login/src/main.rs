//! `login`: the daily Kite Connect login (spec §10.5, kite-connect.md §2).

use anyhow::{Context, Result, anyhow, bail};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use broker_kite::session::{
    Credentials, SessionFile, complete_login, default_session_path, expand_home, login_credentials,
    login_url,
};
use broker_kite::{KiteClient, KiteError, KiteSettings};
use chrono::{NaiveTime, TimeDelta};
use clap::Parser;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncBufReadExt;
use tokio::sync::oneshot;

const ABOUT: &str =
    "Daily Kite Connect login for Kestrel: get an access token and store it privately.";

const LONG_ABOUT: &str = "\
Daily Kite Connect login for Kestrel (spec §10.5).

Kite access tokens die at about 06:00 IST every morning, so log in once per trading day:

  1. Credentials: the app's API key and secret come from the environment
     (KITE_API_KEY, KITE_API_SECRET) or from `api_key` / `api_secret` in the session
     file. They are never printed or logged.
  2. `login` prints the Kite login URL
     (https://kite.zerodha.com/connect/login?v=3&api_key=...). Open it, log in with
     your password and 2FA/TOTP.
  3. Kite redirects the browser to the app's registered redirect URL with
     `request_token=...&status=success`. Register http://127.0.0.1:<PORT>/ (default
     port 5000) as the redirect URL and `login` catches it on that loopback port; or
     copy the request_token (or the whole redirect URL) and paste it at the prompt,
     or pass it with --request-token.
  4. `login` exchanges the token: POST /session/token with
     checksum = SHA-256(api_key + request_token + api_secret); the secret never goes
     on the wire. The request token is single-use and expires within minutes.
  5. The session (access token, API key, user id, login time, IST date) is written to the
     session file, created with mode 0600 in a 0700 directory, outside any git
     repository: by default ~/.config/kestrel/kite_session.json (override with
     --session-file or KESTREL_KITE_SESSION). The engine reads it from there.

`login --check` validates the stored session with a profile call (GET /user/profile)
and says when it was issued. Exit codes: 0 ok, 2 no session file, 3 session
expired/invalid (log in again), 1 any other failure.";

#[derive(Debug, Parser)]
#[command(name = "login", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    /// Session file (default: $KESTREL_KITE_SESSION or ~/.config/kestrel/kite_session.json).
    #[arg(long, value_name = "PATH")]
    session_file: Option<PathBuf>,

    /// Validate the stored session with a profile call and say when it was issued.
    #[arg(long)]
    check: bool,

    /// Exchange this request_token (skips waiting for the redirect).
    #[arg(long, value_name = "TOKEN", conflicts_with = "check")]
    request_token: Option<String>,

    /// Loopback port that catches Kite's redirect (register http://127.0.0.1:PORT/).
    #[arg(long, default_value_t = 5000)]
    port: u16,

    /// Do not listen for the redirect; only read a pasted request_token or redirect URL.
    #[arg(long, conflicts_with = "request_token")]
    paste: bool,

    /// Seconds to wait for the redirect or a pasted token.
    #[arg(long, default_value_t = 300)]
    timeout: u64,

    /// Also store the API secret (KITE_API_SECRET) in the session file (the key is always stored).
    #[arg(long)]
    save_credentials: bool,

    /// Kite REST root (the simulator or a test double); default `https://api.kite.trade`.
    #[arg(
        long,
        env = "KITE_API_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    api_base_url: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = cli
        .session_file
        .as_deref()
        .map_or_else(default_session_path, expand_home);
    let result = if cli.check {
        check(&cli, &path).await
    } else {
        login(&cli, &path).await.map(|()| ExitCode::SUCCESS)
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("login: {}", cli_error::one_cause_each(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> KiteSettings {
    let mut s = KiteSettings::default();
    if let Some(u) = &cli.api_base_url {
        s.api_base_url.clone_from(u);
    }
    s
}

fn load_existing(path: &Path) -> Result<Option<SessionFile>> {
    broker_kite::session::load_existing(path).map_err(|e| anyhow!(e))
}

async fn login(cli: &Cli, path: &Path) -> Result<()> {
    // Credentials first: a missing secret fails before the browser step.
    login_credentials(path)?;
    let request_token = match &cli.request_token {
        Some(t) => t.trim().to_string(),
        None => {
            println!(
                "Open this URL in a browser and log in to Kite:\n\n  {}\n",
                login_url(&settings(cli), path)?
            );
            wait_for_token(cli).await?
        }
    };
    let session = complete_login(settings(cli), path, &request_token, cli.save_credentials).await?;
    println!(
        "Logged in to Kite as {} ({}) at {} IST.\nSession saved to {} (mode 0600). It is valid until about 06:00 IST tomorrow.",
        session.user_id,
        session.user_name,
        session.login_time,
        path.display()
    );
    Ok(())
}

/// The request token from the redirect (loopback listener) or from stdin, whichever comes first.
async fn wait_for_token(cli: &Cli) -> Result<String> {
    let (tx, rx) = oneshot::channel::<Result<String, String>>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let mut server = None;
    if !cli.paste {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], cli.port));
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr} for the redirect (use --port or --paste)")
        })?;
        let app = Router::new().fallback(redirect).with_state(tx.clone());
        server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
        println!(
            "Waiting for Kite's redirect on http://127.0.0.1:{}/ ...",
            cli.port
        );
    }
    println!("... or paste the request_token (or the whole redirect URL) and press Enter:");
    let stdin_tx = tx.clone();
    let reader = tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(t) = token_from_text(&line) {
                send_once(&stdin_tx, Ok(t));
                return;
            }
        }
    });
    let got = tokio::time::timeout(std::time::Duration::from_secs(cli.timeout), rx).await;
    if let Some(s) = server {
        s.abort();
    }
    reader.abort();
    match got {
        Ok(Ok(Ok(t))) => Ok(t),
        Ok(Ok(Err(e))) => Err(anyhow!(e)),
        Ok(Err(_)) => bail!("no request token received"),
        Err(_) => bail!("no request token within {} s", cli.timeout),
    }
}

type TokenSender = Arc<Mutex<Option<oneshot::Sender<Result<String, String>>>>>;

fn send_once(tx: &TokenSender, v: Result<String, String>) {
    if let Some(tx) = tx
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        let _ = tx.send(v);
    }
}

async fn redirect(
    State(tx): State<TokenSender>,
    Query(q): Query<HashMap<String, String>>,
) -> Html<&'static str> {
    let status = q.get("status").map(String::as_str);
    match (q.get("request_token"), status) {
        (Some(t), Some("success") | None) if !t.trim().is_empty() => {
            send_once(&tx, Ok(t.trim().to_string()));
            Html(
                "<h3>Kestrel: Kite login received.</h3><p>You can close this tab and return to the terminal.</p>",
            )
        }
        _ if q.is_empty() => Html("<p>Kestrel is waiting for Kite's login redirect.</p>"),
        _ => {
            send_once(
                &tx,
                Err(format!(
                    "Kite redirect without a request token (status {status:?})"
                )),
            );
            Html("<h3>Kestrel: Kite login failed.</h3><p>See the terminal.</p>")
        }
    }
}

/// A token from a pasted line: the `request_token` of a redirect URL, or the bare token.
fn token_from_text(line: &str) -> Option<String> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    if let Some(i) = line.find("request_token=") {
        let rest = &line[i + "request_token=".len()..];
        let t: String = rest
            .chars()
            .take_while(|c| !matches!(c, '&' | '#' | ' '))
            .collect();
        return (!t.is_empty()).then_some(t);
    }
    (!line.contains(char::is_whitespace)).then(|| line.to_string())
}

async fn check(cli: &Cli, path: &Path) -> Result<ExitCode> {
    let Some(file) = load_existing(path)? else {
        eprintln!(
            "login --check: no Kite session at {}: run `login` first.",
            path.display()
        );
        return Ok(ExitCode::from(2));
    };
    let issued = file
        .login_time_ist()
        .map_or_else(|| "at an unknown time".to_string(), |t| describe_issue(&t));
    let creds = Credentials::resolve(Some(&file))?;
    let token = Credentials::access_token(Some(&file))?;
    let client = KiteClient::new(settings(cli), &creds.api_key, Some(token))?;
    match client.validate_session().await {
        Ok(p) => {
            println!(
                "Kite session valid: user {} ({}), issued {issued}. Session file: {}",
                p.user_id,
                p.user_name,
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(KiteError::SessionInvalid(m)) => {
            eprintln!(
                "login --check: the Kite session in {} (issued {issued}) is no longer valid: {m}. Run `login`.",
                path.display()
            );
            Ok(ExitCode::from(3))
        }
        Err(e) => Err(anyhow!(
            "could not validate the session (issued {issued}): {e}"
        )),
    }
}

fn describe_issue(t: &domain::IstDateTime) -> String {
    let now = broker_kite::convert::ist_now();
    let six = NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default();
    // Tokens die at about 06:00 IST: the last expiry before now.
    let today_six = domain::time::ist(now.date_naive(), six);
    let last_expiry = if now >= today_six {
        today_six
    } else {
        today_six - TimeDelta::days(1)
    };
    let age = now - *t;
    let when = format!("{} IST", t.format("%Y-%m-%d %H:%M:%S"));
    let rel = if age < TimeDelta::hours(1) {
        format!("{} min ago", age.num_minutes().max(0))
    } else if age < TimeDelta::days(2) {
        format!("{} h ago", age.num_hours())
    } else {
        format!("{} days ago", age.num_days())
    };
    if *t < last_expiry {
        format!("{when} ({rel}; before the last 06:00 IST expiry)")
    } else {
        format!("{when} ({rel})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_tokens() {
        assert_eq!(token_from_text(" abc123 ").as_deref(), Some("abc123"));
        assert_eq!(
            token_from_text("http://127.0.0.1:5000/?action=login&type=login&status=success&request_token=XyZ9&x=1").as_deref(),
            Some("XyZ9")
        );
        assert_eq!(token_from_text(""), None);
        assert_eq!(token_from_text("two words"), None);
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
