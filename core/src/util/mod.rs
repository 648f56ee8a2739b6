//! Two helpers that keep the browser's build small: sorting and internally
//! tagged enums read in one pass. Natively both are the standard ones.

pub mod sort;
pub mod tagged;
