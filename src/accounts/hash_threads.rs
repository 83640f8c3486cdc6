//! The threads password hashes run on, at a lower CPU priority than the rest of the server.
//!
//! A hash keeps a core busy for tens of milliseconds. Run on the blocking threads that also
//! serve every page and API read, a flood of sign-ins (or of wrong passwords) took its share of
//! the cores as an equal of those reads, and their latency grew with the flood. At a lower
//! priority the scheduler runs everything else first and gives the hashes what is left; a
//! quiet server still hashes at full speed. `Passwords::permit` still bounds how many hashes
//! run or wait.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::AppError;

/// The nice value of the hashing threads: the scheduler gives a nice-10 thread about a tenth
/// of the time of a nice-0 one when both want a core.
pub(crate) const HASH_NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// `count` threads, started at the first hash so that an idle server has none.
pub(crate) struct HashThreads {
    count: usize,
    jobs: OnceLock<Sender<Job>>,
}

impl HashThreads {
    pub(crate) fn new(count: usize) -> Self {
        HashThreads { count: count.max(1), jobs: OnceLock::new() }
    }

    /// Runs `f` on a hashing thread and waits for its answer without blocking the caller's
    /// thread.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(f());
        });
        self.jobs()
            .send(job)
            .map_err(|_| AppError::internal("no password hashing thread is running"))?;
        // A job that panicked dropped its sender: the thread carries on with the next one.
        answered.await.map_err(|_| AppError::internal("a password hash failed"))
    }

    fn jobs(&self) -> &Sender<Job> {
        self.jobs.get_or_init(|| {
            let (jobs, queue) = mpsc::channel::<Job>();
            let queue = Arc::new(Mutex::new(queue));
            for n in 0..self.count {
                let queue = queue.clone();
                let started = std::thread::Builder::new()
                    .name(format!("clubroom-hash-{n}"))
                    .spawn(move || work(&queue));
                if let Err(e) = started {
                    log::error!("could not start a password hashing thread: {e}");
                }
            }
            jobs
        })
    }
}

/// A hashing thread: lowers its own priority, then runs jobs until the `HashThreads` is
/// dropped.
fn work(queue: &Mutex<Receiver<Job>>) {
    if let Err(e) = lower_priority() {
        log::warn!("password hashes run at normal priority: {e}");
    }
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(job) = next else { return };
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

/// Adds `HASH_NICE` to this thread's nice value (Linux keeps one per thread), up to the
/// lowest priority there is (19).
#[cfg(target_os = "linux")]
fn lower_priority() -> std::io::Result<()> {
    let this_thread = Some(rustix::thread::gettid());
    let now = rustix::process::getpriority_process(this_thread)?;
    rustix::process::setpriority_process(this_thread, (now + HASH_NICE).min(19))?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() -> std::io::Result<()> {
    Err(std::io::Error::other("thread priorities are only set on Linux"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's nice value.
    #[cfg(target_os = "linux")]
    fn own_priority() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
    }

    #[tokio::test]
    async fn jobs_run_on_named_threads_and_answer() {
        let threads = HashThreads::new(2);
        let name = threads.run(|| std::thread::current().name().map(str::to_string)).await;
        assert!(name.unwrap().unwrap().starts_with("clubroom-hash-"));
        assert_eq!(threads.run(|| 6 * 7).await.unwrap(), 42);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_below_the_priority_of_the_rest_of_the_server() {
        let threads = HashThreads::new(1);
        let theirs = threads.run(own_priority).await.unwrap();
        assert_eq!(theirs, (own_priority() + HASH_NICE).min(19));
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_alone() {
        let threads = HashThreads::new(1);
        let failed = threads.run(|| -> u8 { panic!("a broken hash") }).await;
        assert!(failed.is_err());
        assert_eq!(threads.run(|| 1).await.unwrap(), 1, "the thread still takes work");
    }
}
