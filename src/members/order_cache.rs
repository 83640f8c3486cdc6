//! The directory's order without a search, kept between page views.
//!
//! A page of the directory in name order means walking every active member up to that page
//! and checking each one's roles, and its count walks them all: with a couple of thousand
//! members that was most of a page view's time. Instead the ids in order are kept, and a page
//! reads only its own members. The kept order is used only while
//! - nothing in the tables that decide it has changed (`db::AuthChanges`: names and status
//!   live in `users`, roles reach `auth_changes` through triggers), the counter being read
//!   before the database is;
//! - it is less than a minute old, so that a change made by another process on the same file
//!   (`clubroom admin`) shows within a minute too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::AppError;

/// How long a kept order may serve at most, in seconds.
const KEEP_SECS: i64 = 60;

struct Kept {
    generation: u64,
    read_at: i64,
    ids: Arc<[i64]>,
}

#[derive(Default)]
pub struct DirectoryOrder {
    kept: Mutex<Option<Kept>>,
    reads: AtomicU64,
}

impl DirectoryOrder {
    /// The ids of the active members in directory order: the kept ones if they were read under
    /// `generation` (taken before the database is asked) less than a minute before `now`,
    /// else what `read` answers, which is then kept. The lock is not held while reading, so a
    /// slow read never stalls the pages that can be served from memory.
    pub(crate) fn get_or_read(
        &self,
        generation: u64,
        now: i64,
        read: impl FnOnce() -> Result<Vec<i64>, AppError>,
    ) -> Result<Arc<[i64]>, AppError> {
        {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(kept) = kept.as_ref() {
                let age = now - kept.read_at;
                if kept.generation == generation && (0..KEEP_SECS).contains(&age) {
                    return Ok(kept.ids.clone());
                }
            }
        }
        let ids: Arc<[i64]> = read()?.into();
        self.reads.fetch_add(1, Ordering::Relaxed);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        // A read under an older counter never replaces one under a newer counter.
        if kept.as_ref().is_none_or(|k| k.generation <= generation) {
            *kept = Some(Kept { generation, read_at: now, ids: ids.clone() });
        }
        Ok(ids)
    }

    /// How many times the order was read from the database (for tests and diagnostics).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(ids: &[i64]) -> impl FnOnce() -> Result<Vec<i64>, AppError> + '_ {
        move || Ok(ids.to_vec())
    }

    #[test]
    fn an_order_serves_while_the_counter_stands_still_and_for_a_minute_at_most() {
        let order = DirectoryOrder::default();
        assert_eq!(&*order.get_or_read(7, 1000, read(&[3, 1, 2])).unwrap(), [3, 1, 2]);
        let unused = || -> Result<Vec<i64>, AppError> { panic!("read again") };
        assert_eq!(&*order.get_or_read(7, 1059, unused).unwrap(), [3, 1, 2]);
        assert_eq!(order.reads(), 1);

        assert_eq!(&*order.get_or_read(8, 1059, read(&[1, 2])).unwrap(), [1, 2], "changed");
        assert_eq!(&*order.get_or_read(8, 1119, read(&[2])).unwrap(), [2], "a minute old");
        assert_eq!(&*order.get_or_read(8, 1000, read(&[5])).unwrap(), [5], "clock went back");
        assert_eq!(order.reads(), 4);
    }

    #[test]
    fn a_failed_read_keeps_nothing_and_an_older_read_does_not_replace_a_newer_one() {
        let order = DirectoryOrder::default();
        let failed = order.get_or_read(1, 0, || Err(AppError::internal("disk")));
        assert!(failed.is_err());
        order.get_or_read(5, 0, read(&[1])).unwrap();
        // A request that read the counter before the change ends after the one that read it after.
        assert_eq!(&*order.get_or_read(4, 0, read(&[9])).unwrap(), [9]);
        let unused = || -> Result<Vec<i64>, AppError> { panic!("read again") };
        assert_eq!(&*order.get_or_read(5, 0, unused).unwrap(), [1]);
        assert_eq!(order.reads(), 2);
    }
}
