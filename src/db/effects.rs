//! What a change makes happen outside the database once it is committed: the email worker
//! woken for the mail it queued, live events handed to the connected sockets, the sockets of
//! someone whose access ended closed, the club's settings every page shows refreshed.
//!
//! A service records its effects on the transaction it writes in (`Tx::publish`,
//! `Tx::disconnect` and its narrower forms, `Tx::set_club_name`, `Tx::set_public_info`); queued
//! mail needs no word from the service at all, since the update hook sees every row the outbox
//! gains. The bridge (`Db::call_here`, which every `call`, `read`, `write`, hashing call and
//! background job goes through) performs, after the call, the effects of each transaction that
//! committed, and only those: nothing is broadcast that was not saved, and no handler has
//! anything to remember.

use std::cell::{Cell, RefCell};
use std::ops::Deref;
use std::sync::Arc;

use rusqlite::Transaction;
use tokio::sync::Notify;

use crate::accounts::model::SignIn;
use crate::realtime::{Broadcast, Closing, Hub};
use crate::settings::{PublicInfo, SiteInfo};

/// One thing to do once the transaction that recorded it has committed.
#[derive(Debug)]
enum Effect {
    /// Hand an event to its users' sockets.
    Publish(Broadcast),
    /// Close these sockets of this user: their access ended.
    Disconnect(i64, Closing),
    /// Show this club name on every page.
    ClubName(String),
    /// Show these settings on every page.
    PublicInfo(PublicInfo),
}

thread_local! {
    /// Effects of the transactions that committed during the current call, in order.
    static COMMITTED: RefCell<Vec<Effect>> = const { RefCell::new(Vec::new()) };
    /// Set by the update hook when the current call added or changed an outbox row.
    static MAIL: Cell<bool> = const { Cell::new(false) };
}

/// The outbox table: a row added there (mail queued) or changed (queued again by an admin, or
/// marked by the worker itself, which then takes one more look) wakes the worker.
pub(super) const OUTBOX_TABLE: &str = "email_outbox";

/// Called by the update hook for a row of the outbox.
pub(super) fn outbox_changed() {
    MAIL.with(|m| m.set(true));
}

/// A write transaction (`BEGIN IMMEDIATE`) that also carries what must happen once it has
/// committed. Reads and writes go through it as through the `Transaction` it derefs to.
pub struct Tx<'c> {
    tx: Transaction<'c>,
    pending: RefCell<Vec<Effect>>,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(tx: Transaction<'c>) -> Tx<'c> {
        Tx { tx, pending: RefCell::new(Vec::new()) }
    }

    /// Hands each event to its users' sockets once this transaction has committed (and never,
    /// if it rolls back).
    pub(crate) fn publish(&self, broadcasts: impl IntoIterator<Item = Broadcast>) {
        self.pending.borrow_mut().extend(broadcasts.into_iter().map(Effect::Publish));
    }

    /// Closes every socket of `user_id` once this transaction has committed.
    pub(crate) fn disconnect(&self, user_id: i64) {
        self.pending.borrow_mut().push(Effect::Disconnect(user_id, Closing::All));
    }

    /// Closes the sockets of `user_id` opened with `sign_in` once this transaction has
    /// committed: that sign-in was logged out or revoked.
    pub(crate) fn disconnect_sign_in(&self, user_id: i64, sign_in: SignIn) {
        self.pending.borrow_mut().push(Effect::Disconnect(user_id, Closing::Only(sign_in)));
    }

    /// Closes every socket of `user_id` but those opened with `kept` once this transaction has
    /// committed: every other sign-in of theirs ended.
    pub(crate) fn disconnect_all_but(&self, user_id: i64, kept: SignIn) {
        self.pending.borrow_mut().push(Effect::Disconnect(user_id, Closing::AllBut(kept)));
    }

    /// Shows `name` on every page once this transaction has committed.
    pub(crate) fn set_club_name(&self, name: &str) {
        self.pending.borrow_mut().push(Effect::ClubName(name.to_string()));
    }

    /// Shows `info` on every page once this transaction has committed.
    pub(crate) fn set_public_info(&self, info: PublicInfo) {
        self.pending.borrow_mut().push(Effect::PublicInfo(info));
    }

    /// Commits, and leaves this transaction's effects for the bridge to perform.
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()?;
        let done = self.pending.into_inner();
        COMMITTED.with(|c| c.borrow_mut().extend(done));
        Ok(())
    }
}

impl<'c> Deref for Tx<'c> {
    type Target = Transaction<'c>;

    fn deref(&self) -> &Transaction<'c> {
        &self.tx
    }
}

/// Where effects go: the signal that wakes the email worker, the hub of live sockets and the
/// settings every page reads. The default reaches nobody (a command-line run has neither a
/// worker nor sockets nor pages).
#[derive(Clone, Default)]
pub struct Outlets {
    mail: Arc<Notify>,
    hub: Hub,
    site: SiteInfo,
}

impl Outlets {
    pub(crate) fn new(mail: Arc<Notify>, hub: Hub, site: SiteInfo) -> Outlets {
        Outlets { mail, hub, site }
    }

    /// The signal the email worker waits on.
    pub(crate) fn mail(&self) -> &Arc<Notify> {
        &self.mail
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub(crate) fn site(&self) -> &SiteInfo {
        &self.site
    }

    /// Performs what the calls made on this thread so far committed. Waking the worker for
    /// mail whose transaction then rolled back costs it one look at an unchanged outbox.
    pub(super) fn perform_committed(&self) {
        if MAIL.with(|m| m.replace(false)) {
            self.mail.notify_one();
        }
        let effects = COMMITTED.with(|c| std::mem::take(&mut *c.borrow_mut()));
        for effect in effects {
            match effect {
                Effect::Publish(broadcast) => self.hub.publish(&broadcast),
                Effect::Disconnect(user_id, closing) => self.hub.disconnect(user_id, &closing),
                Effect::ClubName(name) => self.site.set_club_name(&name),
                Effect::PublicInfo(info) => self.site.set_public(info),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::db::{write_tx, Db};
    use crate::error::AppError;
    use crate::realtime::{Cursor, Event};

    fn open() -> (tempfile::TempDir, Db, Arc<Notify>, Hub) {
        let dir = tempfile::tempdir().unwrap();
        let (mail, hub) = (Arc::new(Notify::new()), Hub::default());
        let db = Db::open(&dir.path().join("t.db"), 2, Duration::from_secs(5))
            .unwrap()
            .with_outlets(Outlets::new(mail.clone(), hub.clone(), SiteInfo::default()));
        (dir, db, mail, hub)
    }

    fn event(n: i64) -> Broadcast {
        Broadcast::new(vec![7], Event::new("test", Cursor::Message(n), &serde_json::json!({})))
    }

    fn queue_mail(tx: &Tx) -> Result<(), AppError> {
        tx.execute(
            "INSERT INTO email_outbox (to_address, template, subject, body_text, body_html,
                                       next_attempt_at, created_at)
             VALUES ('ann@example.org', 't', 's', 'x', 'y', 0, 0)",
            [],
        )?;
        Ok(())
    }

    /// Whether the mail signal was given (a stored permit completes `notified` at once).
    async fn woken(mail: &Notify) -> bool {
        tokio::time::timeout(Duration::from_millis(50), mail.notified()).await.is_ok()
    }

    #[tokio::test]
    async fn a_committed_write_wakes_the_mail_worker_and_publishes_its_events() {
        let (_dir, db, mail, hub) = open();
        let mut socket = hub.subscribe(7);
        db.write(|tx| {
            queue_mail(tx)?;
            tx.publish([event(1), event(2)]);
            Ok(())
        })
        .await
        .unwrap();
        assert!(woken(&mail).await, "mail queued in a committed write wakes the worker");
        assert_eq!(socket.next().await.unwrap().cursor, Cursor::Message(1));
        assert_eq!(socket.next().await.unwrap().cursor, Cursor::Message(2));
    }

    #[tokio::test]
    async fn a_write_that_rolls_back_publishes_nothing() {
        let (_dir, db, _mail, hub) = open();
        let mut socket = hub.subscribe(7);
        let failed = db
            .write(|tx| {
                tx.publish([event(1)]);
                tx.disconnect(7);
                Err::<(), _>(AppError::conflict("no"))
            })
            .await;
        assert!(failed.is_err());
        db.write(|tx| {
            tx.publish([event(2)]);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(socket.next().await.unwrap().cursor, Cursor::Message(2), "only the saved one");
    }

    #[tokio::test]
    async fn a_call_performs_what_its_committed_transactions_recorded_even_when_it_then_fails() {
        let (_dir, db, mail, hub) = open();
        let mut socket = hub.subscribe(7);
        let out = db
            .call(|conn| {
                write_tx(conn, |tx| {
                    queue_mail(tx)?;
                    tx.publish([event(1)]);
                    Ok(())
                })?;
                let _ = write_tx(conn, |tx| {
                    tx.publish([event(2)]);
                    Err::<(), _>(AppError::conflict("rolled back"))
                });
                Err::<(), _>(AppError::conflict("the call fails after its first commit"))
            })
            .await;
        assert!(out.is_err());
        assert!(woken(&mail).await);
        assert_eq!(socket.next().await.unwrap().cursor, Cursor::Message(1));
        assert_eq!(hub.connections(), 1);
        db.write(|tx| {
            tx.disconnect(7);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(hub.connections(), 0, "a committed disconnect closes the user's sockets");
        assert!(socket.next().await.is_err());
    }

    #[test]
    fn what_committed_happens_even_when_the_call_then_panics() {
        let (_dir, db, mail, hub) = open();
        let mut socket = hub.subscribe(7);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), AppError> = db.call_here(|conn| {
                write_tx(conn, |tx| {
                    queue_mail(tx)?;
                    tx.publish([event(1)]);
                    Ok(())
                })?;
                panic!("after the commit");
            });
        }));
        assert!(panicked.is_err());
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        assert!(rt.block_on(woken(&mail)));
        assert_eq!(rt.block_on(socket.next()).unwrap().cursor, Cursor::Message(1));
    }

    #[tokio::test]
    async fn only_outbox_rows_wake_the_mail_worker() {
        let (_dir, db, mail, _hub) = open();
        db.write(|tx| {
            tx.execute("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)", [])?;
            Ok(())
        })
        .await
        .unwrap();
        assert!(!woken(&mail).await);
        db.call(|conn| Ok(conn.execute("DELETE FROM email_outbox", [])?)).await.unwrap();
        assert!(!woken(&mail).await, "emptying the outbox sends nothing");
    }
}
