//! How each streaming platform (and broadcast, and CD) will play a master back.
//!
//! [`PLATFORMS`] is the one table of platform figures. Every row names its
//! source and the date of the figure; where a platform does not publish a figure
//! or a rule, the row says so and says how Lacquer models it. The table was
//! compiled on 2026-11-25 from the sources named in each row.
//!
//! [`assess`] applies every row to a master's [`LoudnessReport`]: the gain the
//! platform applies, the playback loudness and peak that result, whether the
//! master is turned down (loudness paid for in dynamics that the listener never
//! gets back), and whether the platform's limiter engages or its upward gain is
//! capped by true-peak headroom. The web app shows this table and uses `gain_db`
//! to let the artist listen "as on" each platform.
//!
//! [`listening`] gives what the worklet's monitor needs to play a master (or
//! the mix) as a platform would: the playback gain, and the platform's own
//! limiter with its figures where it has one ([`SPOTIFY_LOUD_LIMITER`]).

use super::meter::LoudnessReport;
use serde::{Deserialize, Serialize};

/// A platform's normalization rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Normalization {
    /// No normalization: played as mastered.
    None,
    /// Loud masters are turned down to the target; quiet ones are left alone.
    DownOnly,
    /// Turned down, or raised only as far as the true peak stays at or below
    /// `peak_limit_dbtp` (no limiter).
    UpToPeakHeadroom {
        /// Highest true peak the platform's upward gain may produce, dBTP.
        peak_limit_dbtp: f64,
    },
    /// Turned down, or raised all the way to the target with a limiter that
    /// engages at `limiter_dbfs` (sample values).
    UpWithLimiter {
        /// Level at which the platform's limiter engages, dBFS.
        limiter_dbfs: f64,
    },
    /// Gain to the target either way (a broadcaster normalising a programme).
    Full,
}

/// A platform's playback limiter: a sample-peak limiter that engages at a
/// threshold, with its attack and release (the figures the worklet's
/// platform limiter is set to).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaybackLimiter {
    /// Level at which it engages, dBFS (sample values).
    pub threshold_dbfs: f64,
    /// Attack, ms.
    pub attack_ms: f64,
    /// Release ("decay"), ms.
    pub release_ms: f64,
}

/// Spotify's limiter for its Loud setting, as Spotify documents it: it
/// engages at −1 dB (sample values), with a 5 ms attack and a 100 ms decay.
pub const SPOTIFY_LOUD_LIMITER: PlaybackLimiter =
    PlaybackLimiter { threshold_dbfs: -1.0, attack_ms: 5.0, release_ms: 100.0 };

/// The longest attack of any platform limiter in the table, ms: the
/// lookahead (and so the fixed delay) of the worklet's platform limiter.
pub const PLAYBACK_LIMITER_MAX_ATTACK_MS: f64 = SPOTIFY_LOUD_LIMITER.attack_ms;

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Platform {
    /// Stable identifier, also the CLI's `--platform` name.
    pub id: &'static str,
    /// Name to show.
    pub name: &'static str,
    /// Playback target loudness, LUFS (`None`: no normalization).
    pub target_lufs: Option<f64>,
    /// True-peak ceiling recommended for delivery, dBTP.
    pub ceiling_dbtp: f64,
    /// How playback gain is decided.
    pub normalization: Normalization,
    /// The platform's playback limiter, if it has one.
    pub limiter: Option<PlaybackLimiter>,
    /// Where the figures come from.
    pub source: &'static str,
    /// When the source published (or was last seen stating) the figures.
    pub as_of: &'static str,
    /// What is modelled rather than documented, if anything.
    pub note: &'static str,
}

/// Spotify's documented rules (Spotify for Artists, "Loudness normalization").
const SPOTIFY_SRC: &str = "Spotify for Artists, Loudness normalization \
    (https://support.spotify.com/us/artists/article/loudness-normalization/)";

/// The platform table. The default master target is the first row.
pub const PLATFORMS: &[Platform] = &[
    Platform {
        id: "spotify",
        name: "Spotify (Normal)",
        target_lufs: Some(-14.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::UpToPeakHeadroom { peak_limit_dbtp: -1.0 },
        limiter: None,
        source: SPOTIFY_SRC,
        as_of: "page text as of 2021 update, current when compiled 2026-11-25",
        note: "Quiet masters are raised only while 1 dB of true-peak headroom remains \
               (Spotify's example: −20 LUFS with −5 dBTP peaks is lifted to −16 LUFS).",
    },
    Platform {
        id: "spotify-loud",
        name: "Spotify (Loud)",
        target_lufs: Some(-11.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::UpWithLimiter { limiter_dbfs: SPOTIFY_LOUD_LIMITER.threshold_dbfs },
        limiter: Some(SPOTIFY_LOUD_LIMITER),
        source: SPOTIFY_SRC,
        as_of: "page text as of 2021 update, current when compiled 2026-11-25",
        note: "Premium setting. Set regardless of true peak; Spotify's limiter engages at \
               −1 dB (sample values), 5 ms attack, 100 ms decay.",
    },
    Platform {
        id: "spotify-quiet",
        name: "Spotify (Quiet)",
        target_lufs: Some(-19.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::UpToPeakHeadroom { peak_limit_dbtp: -1.0 },
        limiter: None,
        source: SPOTIFY_SRC,
        as_of: "page text as of 2021 update, current when compiled 2026-11-25",
        note: "Premium setting. Upward gain modelled with the same 1 dB headroom rule as Normal.",
    },
    Platform {
        id: "apple",
        name: "Apple Music (Sound Check)",
        target_lufs: Some(-16.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::UpToPeakHeadroom { peak_limit_dbtp: -1.0 },
        limiter: None,
        source: "Apple does not publish the Sound Check level; −16 LUFS per independent \
                 measurement (MeterPlugs, \"Tidal adds loudness normalization\", 2016-10-07, \
                 approx. −16 LUFS for Sound Check) and Apple Digital Masters guidance (≤ −1 dBTP)",
        as_of: "2016-10 (measurement), still the common reference when compiled 2026-11-25",
        note: "Sound Check raises quiet tracks without a limiter; modelled as peak-protected \
               to −1 dBTP.",
    },
    Platform {
        id: "youtube",
        name: "YouTube",
        target_lufs: Some(-14.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::DownOnly,
        limiter: None,
        source: "YouTube does not publish its reference level; −14 LUFS per 'Stats for nerds' \
                 content-loudness readings reported by e.g. Sage Audio, \"Mastering for \
                 Streaming: Platform Loudness and Normalization Explained\"",
        as_of: "2020–2023 (measurements), compiled 2026-11-25",
        note: "Turns loud uploads down only; quiet uploads are not raised.",
    },
    Platform {
        id: "tidal",
        name: "Tidal",
        target_lufs: Some(-14.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::DownOnly,
        limiter: None,
        source: "Tidal, as reported by MeterPlugs, \"Tidal adds loudness normalization\" \
                 (BS.1770-4, −14 LUFS, quiet music not raised)",
        as_of: "2016-10-07",
        note: "Turns loud masters down only.",
    },
    Platform {
        id: "amazon",
        name: "Amazon Music",
        target_lufs: Some(-14.0),
        ceiling_dbtp: -2.0,
        normalization: Normalization::DownOnly,
        limiter: None,
        source: "Amazon does not publish its normalization level; −14 LUFS (and −2 dBTP \
                 delivery) per industry references, e.g. Sage Audio, \"Mastering for Streaming\"",
        as_of: "2021–2023 (reports), compiled 2026-11-25",
        note: "Whether quiet tracks are raised is not documented: modelled as turn-down only.",
    },
    Platform {
        id: "deezer",
        name: "Deezer",
        target_lufs: Some(-15.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::DownOnly,
        limiter: None,
        source: "Deezer normalization at −15 LUFS as listed in industry references (e.g. \
                 WaveDisco, \"Streaming loudness targets\")",
        as_of: "2019–2024 (reports), compiled 2026-11-25",
        note: "Whether quiet tracks are raised is not documented: modelled as turn-down only.",
    },
    Platform {
        id: "soundcloud",
        name: "SoundCloud",
        target_lufs: Some(-14.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::DownOnly,
        limiter: None,
        source: "SoundCloud normalization at −14 LUFS as listed in industry references (e.g. \
                 Sage Audio, \"Mastering for Streaming\"); published figures vary (−8 to −14)",
        as_of: "2021–2024 (reports), compiled 2026-11-25",
        note: "Least documented of the rows; modelled as turn-down only to −14 LUFS.",
    },
    Platform {
        id: "cd",
        name: "CD / no normalization",
        target_lufs: None,
        ceiling_dbtp: -0.1,
        normalization: Normalization::None,
        limiter: None,
        source: "Red Book CD (IEC 60908) has no loudness normalization; played as mastered",
        as_of: "1987",
        note: "Ceiling of −0.1 dBTP is Lacquer's default for peak-normalised delivery.",
    },
    Platform {
        id: "ebu-r128",
        name: "EBU R 128 broadcast",
        target_lufs: Some(-23.0),
        ceiling_dbtp: -1.0,
        normalization: Normalization::Full,
        limiter: None,
        source: "EBU R 128, Loudness normalisation and permitted maximum level of audio \
                 signals: −23.0 LUFS (±0.5 LU), maximum true peak −1 dBTP",
        as_of: "EBU R 128 v4 (2014-06), unchanged in the 2020/2023 revisions",
        note: "A broadcaster normalises either way; a peak above −1 dBTP after gain is flagged.",
    },
];

/// The `Custom` row: a target and ceiling of the artist's choosing, turned down
/// or raised as far as the ceiling allows.
pub fn custom(target_lufs: f64, ceiling_dbtp: f64) -> Platform {
    Platform {
        id: "custom",
        name: "Custom",
        target_lufs: Some(target_lufs),
        ceiling_dbtp,
        normalization: Normalization::UpToPeakHeadroom { peak_limit_dbtp: ceiling_dbtp },
        limiter: None,
        source: "chosen by the artist",
        as_of: "",
        note: "",
    }
}

/// Looks a row up by its `id` (the CLI's `--platform` name).
pub fn find(id: &str) -> Option<&'static Platform> {
    PLATFORMS.iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// How one platform plays one master.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformPlayback {
    /// Platform id.
    pub id: String,
    /// Platform name.
    pub name: String,
    /// Platform target, LUFS.
    pub target_lufs: Option<f64>,
    /// Gain the platform applies on playback, dB (negative: turned down). This
    /// is the gain the app applies to "listen as on" the platform.
    pub gain_db: f64,
    /// Resulting playback loudness, LUFS.
    pub playback_lufs: Option<f64>,
    /// Resulting playback peak, dBTP (after the platform's limiter, if any).
    pub playback_peak_dbtp: Option<f64>,
    /// The master is turned down: this much loudness was paid for in dynamics
    /// and the listener gets nothing back for it, dB (0 when not turned down).
    pub turned_down_db: f64,
    /// The platform's own limiter engages on this master (Spotify Loud).
    pub limiter_engages: bool,
    /// Upward gain stops short of the target because of true-peak headroom
    /// (or because the platform never raises): the master plays this much under
    /// the target, LU (0 when it reaches the target).
    pub short_of_target_lu: f64,
    /// The true peak after gain exceeds the platform's delivery ceiling.
    pub over_ceiling: bool,
    /// One-line verdict to show.
    pub verdict: String,
}

/// Applies one platform's rule to a master.
pub fn playback(p: &Platform, r: &LoudnessReport) -> PlatformPlayback {
    let (i, tp) = (r.integrated_lufs, r.true_peak_dbtp);
    let sp = r.sample_peak_dbfs;
    let mut out = PlatformPlayback {
        id: p.id.to_string(),
        name: p.name.to_string(),
        target_lufs: p.target_lufs,
        gain_db: 0.0,
        playback_lufs: i,
        playback_peak_dbtp: tp,
        turned_down_db: 0.0,
        limiter_engages: false,
        short_of_target_lu: 0.0,
        over_ceiling: false,
        verdict: String::new(),
    };
    let (Some(i), Some(target)) = (i, p.target_lufs) else {
        out.over_ceiling = tp.is_some_and(|t| t > p.ceiling_dbtp + 1e-9);
        out.verdict = if i.is_none() {
            "silence: nothing to normalise".into()
        } else {
            "played as mastered".into()
        };
        return out;
    };
    let wanted = target - i;
    let tp_v = tp.unwrap_or(f64::NEG_INFINITY);
    let gain = if wanted <= 0.0 {
        wanted
    } else {
        match p.normalization {
            Normalization::None => 0.0,
            Normalization::DownOnly => 0.0,
            Normalization::UpToPeakHeadroom { peak_limit_dbtp } => {
                wanted.min((peak_limit_dbtp - tp_v).max(0.0))
            }
            Normalization::UpWithLimiter { .. } | Normalization::Full => wanted,
        }
    };
    let gain = if matches!(p.normalization, Normalization::None) { 0.0 } else { gain };
    out.gain_db = gain;
    out.playback_lufs = Some(i + gain);
    out.playback_peak_dbtp = tp.map(|t| t + gain);
    out.turned_down_db = if gain < 0.0 { -gain } else { 0.0 };
    out.short_of_target_lu = (target - (i + gain)).max(0.0);
    if let Normalization::UpWithLimiter { limiter_dbfs } = p.normalization {
        let peak_after = sp.unwrap_or(f64::NEG_INFINITY) + gain;
        if peak_after > limiter_dbfs {
            out.limiter_engages = true;
            // The limiter holds sample peaks at its threshold; loudness is then a
            // little under the target, by an amount that depends on the music.
            out.playback_peak_dbtp = tp.map(|t| (t + gain).min(limiter_dbfs + (t - sp.unwrap_or(t))));
        }
    }
    out.over_ceiling = out.playback_peak_dbtp.is_some_and(|t| t > p.ceiling_dbtp + 1e-9);
    out.verdict = if out.turned_down_db > 0.05 {
        format!(
            "turned down {:.1} dB: loudness paid for in dynamics, given back as nothing",
            out.turned_down_db
        )
    } else if out.limiter_engages {
        format!("raised {:+.1} dB into the platform's limiter", gain)
    } else if out.short_of_target_lu > 0.05 {
        if gain > 0.05 {
            format!(
                "raised {:+.1} dB, stopped by peak headroom: plays {:.1} LU under the target",
                gain, out.short_of_target_lu
            )
        } else {
            format!("not raised: plays {:.1} LU under the target", out.short_of_target_lu)
        }
    } else if gain > 0.05 {
        format!("raised {gain:+.1} dB to the target")
    } else {
        "plays at the target as mastered".into()
    };
    out
}

/// What the monitor needs to play a master (or the mix) as a platform
/// would.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listening {
    /// Playback gain, dB: the platform's normalization ([`playback`]'s
    /// `gain_db`): turned down to the target, raised only as the rule
    /// allows (true-peak headroom, never for a down-only platform, all the
    /// way into its limiter for Spotify Loud).
    pub gain_db: f64,
    /// The platform's limiter, to run after the gain, where the platform
    /// has one (it acts only on what goes over its threshold).
    pub limiter: Option<PlaybackLimiter>,
    /// The limiter engages on this audio (its sample peak after the gain is
    /// over the threshold).
    pub limiter_engages: bool,
}

/// The playback gain and limiter of platform `p` for audio measured as `r`.
pub fn listening(p: &Platform, r: &LoudnessReport) -> Listening {
    let pb = playback(p, r);
    Listening { gain_db: pb.gain_db, limiter: p.limiter, limiter_engages: pb.limiter_engages }
}

/// Applies every row of [`PLATFORMS`] to a master.
pub fn assess(r: &LoudnessReport) -> Vec<PlatformPlayback> {
    PLATFORMS.iter().map(|p| playback(p, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(i: f64, tp: f64) -> LoudnessReport {
        LoudnessReport {
            integrated_lufs: Some(i),
            true_peak_dbtp: Some(tp),
            sample_peak_dbfs: Some(tp - 0.3),
            ..Default::default()
        }
    }

    #[test]
    fn spotify_example_from_its_docs() {
        // "If a track loudness level is −20 dB LUFS, and its True Peak maximum is
        // −5 dB FS, we only lift the track up to −16 dB LUFS."
        let p = playback(find("spotify").unwrap(), &report(-20.0, -5.0));
        assert!((p.gain_db - 4.0).abs() < 1e-9);
        assert!((p.playback_lufs.unwrap() + 16.0).abs() < 1e-9);
        assert!((p.short_of_target_lu - 2.0).abs() < 1e-9);
        assert!(!p.limiter_engages);
    }

    #[test]
    fn loud_master_is_turned_down_everywhere_that_normalises() {
        let rows = assess(&report(-8.0, -0.2));
        for r in &rows {
            match r.id.as_str() {
                "cd" => assert_eq!(r.gain_db, 0.0),
                _ => assert!(r.turned_down_db > 2.9, "{r:?}"),
            }
        }
        let sp = rows.iter().find(|r| r.id == "spotify").unwrap();
        assert!((sp.gain_db + 6.0).abs() < 1e-9);
        assert!(sp.verdict.contains("turned down"));
    }

    #[test]
    fn spotify_loud_limiter_and_down_only_platforms() {
        let r = report(-16.0, -2.0);
        let loud = playback(find("spotify-loud").unwrap(), &r);
        assert!((loud.gain_db - 5.0).abs() < 1e-9);
        assert!(loud.limiter_engages);
        let yt = playback(find("youtube").unwrap(), &r);
        assert_eq!(yt.gain_db, 0.0);
        assert!((yt.short_of_target_lu - 2.0).abs() < 1e-9);
        let ebu = playback(find("ebu-r128").unwrap(), &r);
        assert!((ebu.gain_db + 7.0).abs() < 1e-9);
    }

    #[test]
    fn listening_as_on_spotify() {
        // Quiet (−19 LUFS) turns a −14 LUFS master down 5 dB, no limiter.
        let q = listening(find("spotify-quiet").unwrap(), &report(-14.0, -1.0));
        assert!((q.gain_db + 5.0).abs() < 1e-9);
        assert_eq!((q.limiter, q.limiter_engages), (None, false));
        // Loud (−11 LUFS) raises a −20 LUFS master 9 dB into its limiter.
        let l = listening(find("spotify-loud").unwrap(), &report(-20.0, -3.0));
        assert!((l.gain_db - 9.0).abs() < 1e-9);
        assert_eq!(l.limiter, Some(SPOTIFY_LOUD_LIMITER));
        assert!(l.limiter_engages);
        assert_eq!(
            (SPOTIFY_LOUD_LIMITER.threshold_dbfs, SPOTIFY_LOUD_LIMITER.attack_ms, SPOTIFY_LOUD_LIMITER.release_ms),
            (-1.0, 5.0, 100.0)
        );
        // Down-only: YouTube never raises; a loud master is turned down.
        let yt = find("youtube").unwrap();
        assert_eq!(listening(yt, &report(-20.0, -3.0)).gain_db, 0.0);
        assert!((listening(yt, &report(-9.0, -0.5)).gain_db + 5.0).abs() < 1e-9);
        // Normal: raised only within 1 dB of true-peak headroom.
        assert!((listening(find("spotify").unwrap(), &report(-20.0, -3.0)).gain_db - 2.0).abs() < 1e-9);
        // Only Spotify Loud has a limiter, and the worklet's lookahead covers its attack.
        assert!(PLATFORMS.iter().all(|p| p.limiter.is_some() == (p.id == "spotify-loud")));
        assert!(PLATFORMS.iter().filter_map(|p| p.limiter).all(|l| l.attack_ms <= PLAYBACK_LIMITER_MAX_ATTACK_MS));
        let j = serde_json::to_string(&l).unwrap();
        assert!(j.contains("\"threshold_dbfs\":-1.0"), "{j}");
    }

    #[test]
    fn silence_and_json() {
        let rows = assess(&LoudnessReport::default());
        assert!(rows.iter().all(|r| r.gain_db == 0.0 && r.playback_lufs.is_none()));
        let j = serde_json::to_string(&rows).unwrap();
        assert!(!j.contains("NaN"));
        assert_eq!(PLATFORMS.len(), 11);
        assert!(PLATFORMS.iter().all(|p| !p.source.is_empty() && !p.as_of.is_empty()));
    }
}
