//! PLACEHOLDER — being written (Indian F&O charges schedule).
