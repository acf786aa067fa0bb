//! [`crate::Engine::snapshot`]: the [`super::Snapshot`] of the engine's state.
