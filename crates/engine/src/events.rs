//! What the engine reports: a typed [`EngineEvent`] per journal line. The journal's `kind`
//! strings derive from the variant ([`EngineEvent::kind`]); tests match variants.

use domain::Segment;
use domain::time::IstDateTime;

/// The kind of an engine event (one journal `kind` each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineEvent {
    /// Session lifecycle: warm-up, start, stop of entries, end (`session`).
    Session,
    /// Something odd but not harmful: short warm-up, ticks of another day (`warning`).
    Warning,
    /// Market-data feed status or subscription (`feed`).
    Feed,
    /// Kill switch toggled (`kill_switch`, spec §7).
    KillSwitch,
    /// A completed candle with its indicators and signal (`candle`).
    Candle,
    /// A signal acted on (`signal`).
    Signal,
    /// A signal not acted on: in position, flat, exit in progress (`signal_ignored`).
    SignalIgnored,
    /// An entry not taken: after square-off, no contract, risk, session end (`entry_skipped`).
    EntrySkipped,
    /// A position opened (`entry`).
    Entry,
    /// An exit decided (`exit`, spec §4.4).
    Exit,
    /// A risk decision other than approval (`risk`, spec §7).
    Risk,
    /// An entry lock came into force (`lock`).
    Lock,
    /// An order problem: outcome unknown, illegal update, overfill, unknown order (`order_error`).
    OrderError,
    /// The broker could not be polled (`broker_error`).
    BrokerError,
    /// An entry order failed (`entry_failed`).
    EntryFailed,
    /// A pyramid add failed (`pyramid_failed`).
    PyramidFailed,
    /// A pyramid add sent (`pyramid_add`, spec §6).
    PyramidAdd,
    /// The trailing stop moved (`stop_update`).
    StopUpdate,
    /// Needs a human: session invalid, exits failing, journal write failed (`critical`).
    Critical,
    /// The protective stop at the broker was placed, resized or cancelled (`protective_stop`,
    /// spec §10.3).
    ProtectiveStop,
    /// An operator's command (console, Telegram, API): stop/start entries, close, a manual
    /// order or cancel, with `origin` `MANUAL` in its data (`operator`, spec §12).
    Operator,
    /// A hedged short's next leg sent: the short after its hedge filled, or the hedge's
    /// exit after the short was bought back (`spread_leg`, spec §4.3).
    SpreadLeg,
}

impl EngineEvent {
    /// Every variant, in declaration order.
    pub const ALL: [EngineEvent; 22] = [
        EngineEvent::Session,
        EngineEvent::Warning,
        EngineEvent::Feed,
        EngineEvent::KillSwitch,
        EngineEvent::Candle,
        EngineEvent::Signal,
        EngineEvent::SignalIgnored,
        EngineEvent::EntrySkipped,
        EngineEvent::Entry,
        EngineEvent::Exit,
        EngineEvent::Risk,
        EngineEvent::Lock,
        EngineEvent::OrderError,
        EngineEvent::BrokerError,
        EngineEvent::EntryFailed,
        EngineEvent::PyramidFailed,
        EngineEvent::PyramidAdd,
        EngineEvent::StopUpdate,
        EngineEvent::Critical,
        EngineEvent::ProtectiveStop,
        EngineEvent::Operator,
        EngineEvent::SpreadLeg,
    ];

    /// The variant of a journal `kind` string (the inverse of [`Self::kind`]); `None` for a
    /// kind the engine does not emit. Lets code that only has journal lines (a
    /// `MemoryJournal`, a JSONL file) match variants.
    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.kind() == kind)
    }

    /// The variant of a journal event line (see [`Self::from_kind`]).
    pub fn of(line: &journal::Event) -> Option<Self> {
        Self::from_kind(line.kind)
    }

    /// The journal's `kind` string.
    pub fn kind(self) -> &'static str {
        match self {
            EngineEvent::Session => "session",
            EngineEvent::Warning => "warning",
            EngineEvent::Feed => "feed",
            EngineEvent::KillSwitch => "kill_switch",
            EngineEvent::Candle => "candle",
            EngineEvent::Signal => "signal",
            EngineEvent::SignalIgnored => "signal_ignored",
            EngineEvent::EntrySkipped => "entry_skipped",
            EngineEvent::Entry => "entry",
            EngineEvent::Exit => "exit",
            EngineEvent::Risk => "risk",
            EngineEvent::Lock => "lock",
            EngineEvent::OrderError => "order_error",
            EngineEvent::BrokerError => "broker_error",
            EngineEvent::EntryFailed => "entry_failed",
            EngineEvent::PyramidFailed => "pyramid_failed",
            EngineEvent::PyramidAdd => "pyramid_add",
            EngineEvent::StopUpdate => "stop_update",
            EngineEvent::Critical => "critical",
            EngineEvent::ProtectiveStop => "protective_stop",
            EngineEvent::Operator => "operator",
            EngineEvent::SpreadLeg => "spread_leg",
        }
    }
}

impl serde::Serialize for EngineEvent {
    /// As its journal `kind` string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.kind())
    }
}

/// One event as the engine emitted it (kept in memory, see [`crate::Engine::events`]). As JSON
/// (the console's event list and stream): `ts` ISO 8601 IST, `segment`, `event` (the journal
/// `kind`), `message`, `data`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRecord {
    /// Engine time, IST.
    #[serde(with = "domain::time::serde_ist")]
    pub ts: IstDateTime,
    /// The segment, when the event belongs to one.
    pub segment: Option<Segment>,
    /// What happened.
    pub event: EngineEvent,
    /// Human-readable one-liner.
    pub message: String,
    /// Structured details (the journal's `data`).
    pub data: serde_json::Value,
}

impl EventRecord {
    /// The journal's line of this event (`events.csv`, the console's download).
    pub fn to_journal(&self) -> journal::Event {
        journal::Event {
            timestamp: self.ts,
            segment: self.segment,
            kind: self.event.kind(),
            message: self.message.clone(),
            data: self.data.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_distinct_snake_case_and_parse_back() {
        let kinds: std::collections::BTreeSet<&str> =
            EngineEvent::ALL.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds.len(), EngineEvent::ALL.len());
        assert!(
            kinds
                .iter()
                .all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        for e in EngineEvent::ALL {
            assert_eq!(EngineEvent::from_kind(e.kind()), Some(e));
        }
        assert_eq!(EngineEvent::from_kind("no_such_kind"), None);
    }
}
