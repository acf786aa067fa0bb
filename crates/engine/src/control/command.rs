//! [`crate::Engine::command`]: what each [`super::Command`] does.
