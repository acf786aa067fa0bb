//! Chat commands (issue 12): long-poll `getUpdates` with an offset, obey the authorised chat
//! only (others are ignored and logged by chat id, never answered), and go through the same
//! port as the HTTP API (`Backend::command`, `Backend::snapshot`), so chat, page and API never
//! disagree.
//!
//! `/status`, `/positions`, `/pnl`, `/trades`, `/stop` (stop entries), `/start` (entries
//! again), `/pause`, `/resume` (kill switch), `/closeall` and `/close <SEGMENT>` (both need
//! `/confirm` within the confirmation window; anything else cancels), `/help`.

use crate::format;
use console::backend::Backend;
use domain::Segment;
use engine::control::{Command, Snapshot};
use std::time::Duration;
use tokio::time::Instant;

/// A parsed chat command.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatCommand {
    /// `/status`.
    Status,
    /// `/positions`.
    Positions,
    /// `/pnl`.
    Pnl,
    /// `/trades`.
    Trades,
    /// `/stop`: `Command::StopEntries { close_all: false }`.
    Stop,
    /// `/start`: `Command::StartEntries`.
    Start,
    /// `/pause`: kill switch on.
    Pause,
    /// `/resume`: kill switch off.
    Resume,
    /// `/closeall`: asks for `/confirm`.
    CloseAll,
    /// `/close <SEGMENT>`: asks for `/confirm`.
    Close(Segment),
    /// `/confirm`.
    Confirm,
    /// `/help` (also `/start@bot`-less unknown input gets the help).
    Help,
}

/// Parse a message text. `Err` is the reply for a malformed or unknown command.
/// A `@botname` suffix on the command (group chats) is accepted.
pub fn parse(text: &str) -> Result<ChatCommand, String> {
    let mut words = text.split_whitespace();
    let head = words.next().unwrap_or_default();
    let name = head
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let arg = words.next();
    let cmd = match name.as_str() {
        "/status" => ChatCommand::Status,
        "/positions" => ChatCommand::Positions,
        "/pnl" => ChatCommand::Pnl,
        "/trades" => ChatCommand::Trades,
        "/stop" => ChatCommand::Stop,
        "/start" => ChatCommand::Start,
        "/pause" => ChatCommand::Pause,
        "/resume" => ChatCommand::Resume,
        "/closeall" => ChatCommand::CloseAll,
        "/confirm" => ChatCommand::Confirm,
        "/help" => ChatCommand::Help,
        "/close" => {
            let Some(a) = arg else {
                return Err("usage: /close <SEGMENT>, e.g. /close NIFTY".into());
            };
            // An index or a stock of the session's `[universe]`; the engine answers "no open
            // position" for anything else.
            let seg = a.parse::<Segment>().map_err(|_| {
                format!("unknown segment {a}: an index (NIFTY, BANKNIFTY, SENSEX) or an NSE symbol")
            })?;
            ChatCommand::Close(seg)
        }
        _ => return Err(format!("unknown command {head}; /help lists them")),
    };
    Ok(cmd)
}

/// The `/help` text.
pub const HELP: &str = "/status · /positions · /pnl · /trades\n/stop (stop entries) · /start (entries again)\n/pause · /resume (kill switch)\n/closeall · /close <SEGMENT> (then /confirm within 60 s)\n/help";

/// The command state of the authorised chat: a close waiting for `/confirm`.
#[derive(Debug)]
pub struct Commander {
    window: Duration,
    awaiting: Option<(Command, Instant)>,
}

impl Commander {
    /// A commander whose closes wait `window` for `/confirm`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            awaiting: None,
        }
    }

    /// The reply to a text from the authorised chat (applying the command through `backend`).
    pub async fn handle(&mut self, backend: &dyn Backend, text: &str, now: Instant) -> String {
        let pending = self.awaiting.take();
        let cmd = match parse(text) {
            Ok(c) => c,
            Err(reply) if pending.is_some() => return format!("cancelled. {reply}"),
            Err(reply) => return reply,
        };
        if let Some((held, asked)) = pending {
            if cmd != ChatCommand::Confirm {
                return "cancelled: send the command again to close".into();
            }
            if now.duration_since(asked) > self.window {
                return "confirmation too late: nothing closed".into();
            }
            return apply(backend, held).await;
        }
        let snap = || backend.snapshot();
        match cmd {
            ChatCommand::Status => view(snap(), format::status),
            ChatCommand::Positions => view(snap(), format::positions),
            ChatCommand::Pnl => view(snap(), format::pnl),
            ChatCommand::Trades => view(snap(), format::trades),
            ChatCommand::Help => HELP.into(),
            ChatCommand::Confirm => "nothing to confirm".into(),
            ChatCommand::Stop => apply(backend, Command::StopEntries { close_all: false }).await,
            ChatCommand::Start => apply(backend, Command::StartEntries).await,
            ChatCommand::Pause => apply(backend, Command::Pause).await,
            ChatCommand::Resume => apply(backend, Command::Resume).await,
            ChatCommand::CloseAll => {
                self.awaiting = Some((Command::CloseAll, now));
                format!(
                    "close ALL open positions? reply /confirm within {} s",
                    self.window.as_secs()
                )
            }
            ChatCommand::Close(segment) => {
                self.awaiting = Some((Command::ClosePosition { segment }, now));
                format!(
                    "close the {segment} position? reply /confirm within {} s",
                    self.window.as_secs()
                )
            }
        }
    }
}

fn view(s: Option<std::sync::Arc<Snapshot>>, f: fn(&Snapshot) -> String) -> String {
    s.map_or_else(|| "no session yet".into(), |s| f(&s))
}

async fn apply(backend: &dyn Backend, cmd: Command) -> String {
    match backend.command(cmd).await {
        Ok(reply) => format!("done: {}", reply.message),
        Err(e) => format!("refused: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_segments() {
        assert_eq!(parse("/status"), Ok(ChatCommand::Status));
        assert_eq!(parse("/PnL@kestrel_bot"), Ok(ChatCommand::Pnl));
        assert_eq!(
            parse("/close banknifty"),
            Ok(ChatCommand::Close(Segment::BankNifty))
        );
        assert_eq!(parse(" /closeall "), Ok(ChatCommand::CloseAll));
        assert!(parse("/close").unwrap_err().contains("usage"));
        assert_eq!(
            parse("/close reliance"),
            Ok(ChatCommand::Close("RELIANCE".parse().unwrap()))
        );
        assert!(
            parse("/close FTSE!")
                .unwrap_err()
                .contains("unknown segment FTSE!")
        );
        assert!(parse("hello").unwrap_err().contains("/help"));
    }
}
