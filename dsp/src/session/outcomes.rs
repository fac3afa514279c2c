//! Master-to-target outcomes found on a session's audio, so that a later job
//! with the same settings and target skips the search
//! ([`MasterJob::with_known_outcome`]): the studio masters the file as the
//! artist works, and the export or the release bundle that follows renders
//! the chain once instead of searching again. The search is deterministic,
//! so the files are byte for byte those a search would give (and the CLI's).
//!
//! The newest outcome may keep its master too (the studio's preview keeps
//! what it rendered, up to [`super::export::KEEP_PASS_LIMIT_BYTES`]): a job
//! asked the same then hands that master out instead of rendering
//! ([`MasterJob::with_known_master`]). One master at most is kept.
//!
//! A new file is a new session, with no outcomes.

use crate::job::{MasterJob, MasterReport};
use crate::loudness::target::Target;
use crate::settings::Settings;
use std::sync::{Arc, Mutex};

/// Outcomes kept, newest last.
const KEPT: usize = 8;

/// One job's outcome: what it was asked, and what it found.
struct Known {
    asked: Settings,
    target: Target,
    found: Settings,
    report: MasterReport,
    master: Option<Arc<Vec<Vec<f32>>>>,
}

/// The outcomes of a session's jobs, shared by the jobs it starts.
#[derive(Clone, Default)]
pub struct Outcomes(Arc<Mutex<Vec<Known>>>);

impl Outcomes {
    /// `job` (asked `asked` to `target`) with the outcome of an earlier job
    /// asked the same, if there was one.
    pub fn apply(&self, job: MasterJob, asked: &Settings, target: Option<Target>) -> MasterJob {
        let Some(target) = target else { return job };
        let known = self.0.lock().ok().and_then(|k| {
            k.iter()
                .rev()
                .find(|k| k.asked == *asked && k.target == target)
                .map(|k| (k.found, k.report.clone(), k.master.clone()))
        });
        match known {
            Some((found, report, Some(master))) => job.with_known_master(found, report, master),
            Some((found, report, None)) => job.with_known_outcome(found, report),
            None => job,
        }
    }

    /// Keeps the outcome of a finished job asked `asked` to `target`, with
    /// its master when given (the master kept for the same question before
    /// stays when none is given: the job is deterministic).
    pub fn remember(
        &self,
        asked: &Settings,
        target: Option<Target>,
        found: &Settings,
        report: &MasterReport,
        master: Option<Arc<Vec<Vec<f32>>>>,
    ) {
        let Some(target) = target else { return };
        if let Ok(mut k) = self.0.lock() {
            let same = |k: &Known| k.asked == *asked && k.target == target;
            let master = master.or_else(|| k.iter().find(|k| same(k)).and_then(|k| k.master.clone()));
            k.retain(|k| !same(k));
            if master.is_some() {
                for other in k.iter_mut() {
                    other.master = None;
                }
            }
            k.push(Known { asked: *asked, target, found: *found, report: report.clone(), master });
            let over = k.len().saturating_sub(KEPT);
            k.drain(..over);
        }
    }
}

#[cfg(test)]
impl Outcomes {
    /// True when an outcome keeps its master.
    pub(crate) fn keeps_master(&self) -> bool {
        self.masters() > 0
    }

    /// How many outcomes keep their master.
    fn masters(&self) -> usize {
        self.0.lock().map_or(0, |k| k.iter().filter(|k| k.master.is_some()).count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_master_at_most_the_newest_and_kept_when_asked_again() {
        let o = Outcomes::default();
        let t = |lufs| Some(Target { lufs, ceiling_dbtp: -1.0 });
        let s = Settings::default();
        let r = MasterReport::default();
        let m = |v: f32| Some(Arc::new(vec![vec![v; 4]]));
        o.remember(&s, t(-14.0), &s, &r, m(1.0));
        o.remember(&s, t(-11.0), &s, &r, m(2.0));
        assert_eq!(o.masters(), 1, "the older master is let go");
        // Asked the same again without a master (a job that replayed it): kept.
        o.remember(&s, t(-11.0), &s, &r, None);
        assert_eq!(o.masters(), 1);
        let kept = o.0.lock().unwrap().iter().find(|k| k.master.is_some()).map(|k| k.target.lufs);
        assert_eq!(kept, Some(-11.0));
        // No target: nothing to remember.
        o.remember(&s, None, &s, &r, m(3.0));
        assert_eq!(o.0.lock().unwrap().len(), 2);
    }
}
