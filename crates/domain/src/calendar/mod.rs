//! PLACEHOLDER — being written (holidays, expiry calendar, lot sizes).
