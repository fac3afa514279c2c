//! What the artist hears in the studio: the master or the mix,
//! loudness-matched or not, as mastered or as a platform will play it.
//! [`Listening::setup`] decides the worklet's monitor (which path, the gain
//! of each, the platform limiter: see `lq_set_monitor`,
//! `lq_set_monitor_gains` and `lq_set_platform_limiter` in `ffi::worklet`)
//! from the loudness of the mix and of the master; the worklet does the
//! rest sample-accurately.

use super::meter::LoudnessReport;
use super::platforms;

/// Which of the two is playing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The master (the chain's output).
    #[default]
    Master,
    /// The mix (the input, delayed by the chain's latency).
    Mix,
}

/// Everything the worklet's monitor needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonitorSetup {
    /// Play the dry path (the mix) instead of the master.
    pub dry: bool,
    /// Gain of the master path, dB.
    pub master_gain_db: f32,
    /// Gain of the mix path, dB.
    pub mix_gain_db: f32,
    /// The platform's limiter, after both, if the platform has one.
    pub limiter: Option<platforms::PlaybackLimiter>,
}

/// What the artist asked to hear.
#[derive(Clone, Debug, PartialEq)]
pub struct Listening {
    /// The whole chain bypassed: the input, delayed, bit for bit.
    pub bypass_all: bool,
    /// Master or mix.
    pub source: Source,
    /// The mix gained to the master's loudness.
    pub matched: bool,
    /// A platform to listen as on (its id), if any.
    pub platform: Option<String>,
}

/// The gain that brings the mix to the master's integrated loudness, dB
/// (0 when either is silent).
pub fn match_gain_db(mix: Option<&LoudnessReport>, master: Option<&LoudnessReport>) -> f64 {
    match (mix.and_then(|r| r.integrated_lufs), master.and_then(|r| r.integrated_lufs)) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    }
}

impl Listening {
    /// The worklet monitor for this, given the mix's and the master's
    /// loudness (either may be missing while it is being measured).
    pub fn setup(&self, mix: Option<&LoudnessReport>, master: Option<&LoudnessReport>) -> MonitorSetup {
        let dry = self.bypass_all || self.source == Source::Mix;
        if self.bypass_all {
            return MonitorSetup { dry, master_gain_db: 0.0, mix_gain_db: 0.0, limiter: None };
        }
        if let Some(p) = self.platform.as_deref().and_then(platforms::find) {
            let gain = |r: Option<&LoudnessReport>| r.map_or(0.0, |r| platforms::playback(p, r).gain_db) as f32;
            let limiter = p.limiter;
            return MonitorSetup { dry, master_gain_db: gain(master), mix_gain_db: gain(mix), limiter };
        }
        let mix_gain_db = if self.matched { match_gain_db(mix, master) as f32 } else { 0.0 };
        MonitorSetup { dry, master_gain_db: 0.0, mix_gain_db, limiter: None }
    }

    /// What is playing, in words: "Master", "Mix · matched −4.2 dB",
    /// "Mix · untouched", "Bypass", with " · as on Spotify (Loud)".
    pub fn describe(&self, setup: &MonitorSetup) -> String {
        if self.bypass_all {
            return "Bypass · the mix, untouched".into();
        }
        let what = match self.source {
            Source::Master => "Master".to_string(),
            Source::Mix if self.platform.is_some() => "Mix".to_string(),
            Source::Mix if self.matched => {
                format!("Mix · matched {} dB", signed(setup.mix_gain_db as f64))
            }
            Source::Mix => "Mix · untouched".to_string(),
        };
        match self.platform.as_deref().and_then(platforms::find) {
            Some(p) => format!("{what} · as on {}", p.name),
            None => what,
        }
    }
}

/// A gain with its sign and a real minus sign, one decimal: "+4.2", "−3.0", "0.0".
fn signed(v: f64) -> String {
    let s = format!("{v:+.1}");
    match s.as_str() {
        "+0.0" | "-0.0" => "0.0".into(),
        _ => s.replacen('-', "\u{2212}", 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(i: f64, tp: f64) -> LoudnessReport {
        LoudnessReport { integrated_lufs: Some(i), true_peak_dbtp: Some(tp), sample_peak_dbfs: Some(tp), ..Default::default() }
    }

    #[test]
    fn matched_mix_meets_the_master() {
        let l = Listening { bypass_all: false, source: Source::Mix, matched: true, platform: None };
        let s = l.setup(Some(&report(-20.0, -3.0)), Some(&report(-14.0, -1.0)));
        assert!(s.dry && s.mix_gain_db == 6.0 && s.master_gain_db == 0.0 && s.limiter.is_none());
        let off = Listening { matched: false, ..l };
        assert_eq!(off.setup(Some(&report(-20.0, -3.0)), Some(&report(-14.0, -1.0))).mix_gain_db, 0.0);
    }

    #[test]
    fn bypass_is_untouched() {
        let l = Listening { bypass_all: true, source: Source::Master, matched: true, platform: Some("spotify-loud".into()) };
        let s = l.setup(Some(&report(-20.0, -3.0)), Some(&report(-14.0, -1.0)));
        assert_eq!(s, MonitorSetup { dry: true, master_gain_db: 0.0, mix_gain_db: 0.0, limiter: None });
    }

    #[test]
    fn platforms_play_both_their_way() {
        let l = Listening { bypass_all: false, source: Source::Master, matched: true, platform: Some("spotify-quiet".into()) };
        let s = l.setup(Some(&report(-20.0, -3.0)), Some(&report(-14.0, -1.0)));
        assert_eq!((s.master_gain_db, s.mix_gain_db), (-5.0, 1.0));
        let loud = Listening { platform: Some("spotify-loud".into()), ..l };
        let s = loud.setup(Some(&report(-20.0, -3.0)), Some(&report(-14.0, -1.0)));
        assert_eq!((s.master_gain_db, s.mix_gain_db), (3.0, 9.0));
        assert_eq!(s.limiter.map(|l| l.threshold_dbfs), Some(-1.0));
        assert_eq!(loud.describe(&s), "Master · as on Spotify (Loud)");
        let mix = Listening { source: Source::Mix, platform: None, ..l };
        let s = mix.setup(Some(&report(-20.0, -3.0)), Some(&report(-14.0, -1.0)));
        assert_eq!(mix.describe(&s), "Mix · matched +6.0 dB");
    }
}
