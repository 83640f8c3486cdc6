//! The gift cycle: one cycle through every participant that respects every exclusion.
