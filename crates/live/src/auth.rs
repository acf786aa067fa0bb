//! The Kite login from the console (seed 003 "Daily Setup Process"; kite-connect.md §2): the
//! same exchange and 0600 session file as the `login` binary
//! ([`broker_kite::session::complete_login`]), then the running session reloads the file.
//! No token ever reaches a log line or a reply.

use crate::link::Published;
use async_trait::async_trait;
use broker_kite::session::{
    Credentials, LoginError, SessionError, complete_login, default_session_path, expand_home,
    load_existing, login_url,
};
use broker_kite::{KiteClient, KiteError, KiteSettings};
use console::backend::{Auth, AuthError, AuthStatus};
use std::path::PathBuf;
use std::sync::Arc;

/// [`Auth`] over the `[kite]` settings of the process's configuration.
#[derive(Debug)]
pub struct KiteAuth {
    settings: KiteSettings,
    published: Arc<Published>,
}

impl KiteAuth {
    /// Login for the session file of `settings` (`session_file`, else the default path);
    /// `published` gives the running session's client to reload.
    pub fn new(settings: KiteSettings, published: Arc<Published>) -> Self {
        Self {
            settings,
            published,
        }
    }

    /// The session file the engine reads and a login writes.
    pub fn session_path(&self) -> PathBuf {
        self.settings
            .session_file
            .as_deref()
            .map_or_else(default_session_path, expand_home)
    }
}

fn auth_error(e: LoginError) -> AuthError {
    match e {
        LoginError::EmptyToken => AuthError::Invalid {
            field: "request_token".into(),
            message: "empty".into(),
        },
        LoginError::NoSecret(_)
        | LoginError::Session(
            SessionError::MissingCredential(_) | SessionError::InvalidCredential(_),
        ) => AuthError::NotConfigured(e.to_string()),
        LoginError::Refused(_) => AuthError::Kite(e.to_string()),
        LoginError::Session(_) | LoginError::Kite(_) => AuthError::Kite(e.to_string()),
    }
}

fn not_authenticated(message: String) -> AuthStatus {
    AuthStatus {
        authenticated: false,
        user_id: None,
        message: Some(message),
        login_time: None,
    }
}

#[async_trait]
impl Auth for KiteAuth {
    fn login_url(&self) -> Result<String, AuthError> {
        login_url(&self.settings, &self.session_path()).map_err(auth_error)
    }

    async fn complete(&self, request_token: &str) -> Result<AuthStatus, AuthError> {
        let path = self.session_path();
        let saved = complete_login(self.settings.clone(), &path, request_token, false)
            .await
            .map_err(auth_error)?;
        tracing::info!(target: "live", user = saved.user_id, "Kite login completed from the console; session file written");
        if let Some(client) = self.published.client() {
            // The running session's REST client takes the new token now; its ticker is
            // respawned by the session's re-login loop if it had been refused.
            if let Err(e) = client.reload_session() {
                tracing::warn!(target: "live", error = %e, "running session did not reload the session file");
            }
        }
        Ok(AuthStatus {
            authenticated: true,
            user_id: Some(saved.user_id.clone()),
            message: None,
            login_time: saved.login_time_ist().map(|t| domain::time::fmt_iso(&t)),
        })
    }

    async fn status(&self) -> AuthStatus {
        let path = self.session_path();
        let file = match load_existing(&path) {
            Ok(Some(f)) => f,
            Ok(None) => {
                return not_authenticated(format!("no Kite session at {}: log in", path.display()));
            }
            Err(e) => return not_authenticated(e.to_string()),
        };
        let login_time = file.login_time_ist().map(|t| domain::time::fmt_iso(&t));
        let client = Credentials::resolve(Some(&file))
            .and_then(|c| Credentials::access_token(Some(&file)).map(|t| (c, t)))
            .map_err(|e| e.to_string())
            .and_then(|(c, t)| {
                KiteClient::new(self.settings.clone(), &c.api_key, Some(t))
                    .map_err(|e| e.to_string())
            });
        let client = match client {
            Ok(c) => c,
            Err(m) => return not_authenticated(m),
        };
        match client.validate_session().await {
            Ok(p) => AuthStatus {
                authenticated: true,
                user_id: Some(p.user_id),
                message: None,
                login_time,
            },
            Err(KiteError::SessionInvalid(m)) => AuthStatus {
                login_time,
                ..not_authenticated(format!("session expired or invalid ({m}): log in"))
            },
            Err(e) => AuthStatus {
                login_time,
                ..not_authenticated(format!("session not confirmed: {e}"))
            },
        }
    }
}
