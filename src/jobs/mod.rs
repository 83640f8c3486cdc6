//! A small scheduler for periodic background work. Each job runs on its own interval, can be
//! woken early, and records its last run and last error, which `/health` and the admin home show.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::error::AppError;

pub(crate) type JobFuture = Pin<Box<dyn Future<Output = Result<(), AppError>> + Send>>;
type JobFn = Arc<dyn Fn() -> JobFuture + Send + Sync>;

/// What the scheduler knows about one job.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobStatus {
    pub name: String,
    pub every_secs: u64,
    pub runs: u64,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

struct Job {
    name: &'static str,
    every: Duration,
    run: JobFn,
    wake: Arc<Notify>,
}

/// Registered jobs, their status, and the tasks running them.
pub struct Scheduler {
    jobs: Mutex<Vec<Job>>,
    status: Arc<Mutex<BTreeMap<&'static str, JobStatus>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    started: AtomicBool,
    stop: watch::Sender<bool>,
    clock: Arc<dyn Clock>,
}

impl Scheduler {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Scheduler {
            jobs: Mutex::new(Vec::new()),
            status: Arc::new(Mutex::new(BTreeMap::new())),
            tasks: Mutex::new(Vec::new()),
            started: AtomicBool::new(false),
            stop: watch::channel(false).0,
            clock,
        }
    }

    /// Registers `run` to be called every `every` (and whenever the returned handle is
    /// notified). Jobs registered after `start` are not run.
    pub(crate) fn register<F, Fut>(
        &self,
        name: &'static str,
        every: Duration,
        run: F,
    ) -> Arc<Notify>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), AppError>> + Send + 'static,
    {
        let wake = Arc::new(Notify::new());
        self.register_woken_by(name, every, wake.clone(), run);
        wake
    }

    /// `register`, woken by a handle made beforehand (the email worker's, which the database
    /// bridge holds to wake it after a commit that queued mail).
    pub(crate) fn register_woken_by<F, Fut>(
        &self,
        name: &'static str,
        every: Duration,
        wake: Arc<Notify>,
        run: F,
    ) where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), AppError>> + Send + 'static,
    {
        let run: JobFn = Arc::new(move || Box::pin(run()));
        lock(&self.status).insert(
            name,
            JobStatus { name: name.to_string(), every_secs: every.as_secs(), ..Default::default() },
        );
        lock(&self.jobs).push(Job { name, every, run, wake });
    }

    /// Starts one task per job on the current Tokio runtime. Each runs once right away.
    pub(crate) fn start(&self) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut tasks = lock(&self.tasks);
        for job in lock(&self.jobs).iter() {
            let (name, every, run, wake) = (job.name, job.every, job.run.clone(), job.wake.clone());
            let status = self.status.clone();
            let clock = self.clock.clone();
            let mut stop = self.stop.subscribe();
            tasks.push(tokio::spawn(async move {
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    let result = run().await;
                    record(&status, name, clock.now(), result);
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = wake.notified() => {}
                        _ = stop.changed() => break,
                    }
                }
            }));
        }
    }

    /// Asks every job to stop after its current run.
    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops every job and waits until the runs in progress have finished.
    pub async fn shutdown(&self) {
        self.stop();
        let tasks: Vec<JoinHandle<()>> = lock(&self.tasks).drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
    }

    /// True while started and no job task has ended (a panic in a job ends its task).
    pub(crate) fn is_running(&self) -> bool {
        let tasks = lock(&self.tasks);
        self.started.load(Ordering::SeqCst)
            && !*self.stop.borrow()
            && !tasks.is_empty()
            && tasks.iter().all(|t| !t.is_finished())
    }

    pub fn statuses(&self) -> Vec<JobStatus> {
        lock(&self.status).values().cloned().collect()
    }
}

fn record(
    status: &Mutex<BTreeMap<&'static str, JobStatus>>,
    name: &'static str,
    now: DateTime<Utc>,
    result: Result<(), AppError>,
) {
    let mut map = lock(status);
    if let Some(entry) = map.get_mut(name) {
        entry.runs += 1;
        entry.last_run_at = Some(now);
        match result {
            Ok(()) => {
                entry.last_success_at = Some(now);
                entry.last_error = None;
            }
            Err(err) => {
                log::error!("job {name} failed: {err}");
                entry.last_error = Some(err.to_string());
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn jobs_run_at_start_when_woken_and_record_errors() {
        let scheduler = Scheduler::new(Arc::new(SystemClock));
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let wake = scheduler.register("counter", Duration::from_secs(3600), move || {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        scheduler.register("broken", Duration::from_secs(3600), || async {
            Err(AppError::internal("boom"))
        });
        assert!(!scheduler.is_running());
        scheduler.start();
        for _ in 0..100 {
            if count.load(Ordering::SeqCst) == 1 && scheduler.statuses()[0].runs == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        wake.notify_one();
        for _ in 0..100 {
            if count.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(count.load(Ordering::SeqCst), 2);
        let broken = scheduler.statuses().into_iter().find(|s| s.name == "broken").unwrap();
        assert!(broken.last_error.unwrap().contains("boom"));
        assert!(broken.last_success_at.is_none());
        assert!(scheduler.is_running());
        scheduler.stop();
        assert!(!scheduler.is_running());
    }
}
