//! The studio: what the artist chose (the chain's settings, the target, the
//! simple mode's style), what they hear (master or mix, matched, as on a
//! platform), and the master found for those choices.
//!
//! Components read and write these signals through [`crate::app::use_studio`];
//! the engine turns them into worker jobs and worklet messages
//! ([`crate::engine::Engine::studio_changed`], run by [`driver`]).

pub mod driver;
pub mod monitor;
pub mod persist;
pub mod release;
pub mod target;

use lacquer_dsp::job::MasterReport;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::Settings;
use leptos::prelude::*;
use monitor::{Listening, Source};
use target::TargetChoice;

/// A master found by master-to-target, and what it was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Mastered {
    /// The artist's settings it was made from.
    pub asked: Settings,
    /// The target it was made for (`None`: no loudness target).
    pub target: Option<Target>,
    /// The settings of the master: the asked ones with the input gain,
    /// chain ceiling and output trim that master-to-target found.
    pub settings: Settings,
    /// Its measurements.
    pub report: MasterReport,
}

/// Master-to-target in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Mastering {
    /// Fraction done, 0..1.
    pub fraction: f64,
    /// What is happening.
    pub phase: String,
}

/// The studio's signals; `Copy`.
#[derive(Clone, Copy)]
pub struct Studio {
    /// The chain's settings as the artist set them.
    pub settings: RwSignal<Settings>,
    /// What the master aims at.
    pub target: RwSignal<TargetChoice>,
    /// The simple mode's style id (`None`: edited by hand).
    pub style: RwSignal<Option<String>>,
    /// The simple mode's intensity, %.
    pub intensity_pct: RwSignal<f32>,
    /// The advanced panel is open.
    pub advanced: RwSignal<bool>,
    /// Master or mix.
    pub source: RwSignal<Source>,
    /// The mix is gained to the master's loudness when it plays.
    pub matched: RwSignal<bool>,
    /// The platform to listen as on, by id.
    pub listen: RwSignal<Option<String>>,
    /// The whole chain bypassed.
    pub bypass_all: RwSignal<bool>,
    /// The last master found, for the loaded file.
    pub mastered: RwSignal<Option<Mastered>>,
    /// Master-to-target in progress.
    pub mastering: RwSignal<Option<Mastering>>,
    /// A message about the studio's settings (a refused preset or value),
    /// shown next to the controls.
    pub notice: RwSignal<Option<String>>,
    /// The release file's format, rate and tags, and the bundle's variants.
    pub release: RwSignal<release::ReleaseChoice>,
}

impl Studio {
    /// The studio as it was left (from `localStorage`), or the defaults.
    pub fn restore() -> Self {
        let (saved, settings, notice) = match persist::load() {
            Ok(Some((saved, settings))) => (saved, settings, None),
            Ok(None) => (persist::Saved::default(), Settings::default(), None),
            Err(e) => (
                persist::Saved::default(),
                Settings::default(),
                Some(format!("The studio started from its defaults: {e}.")),
            ),
        };
        Self {
            settings: RwSignal::new(settings),
            target: RwSignal::new(saved.target),
            style: RwSignal::new(saved.style),
            intensity_pct: RwSignal::new(saved.intensity_pct),
            advanced: RwSignal::new(saved.advanced),
            source: RwSignal::new(Source::Master),
            matched: RwSignal::new(saved.matched),
            listen: RwSignal::new(None),
            bypass_all: RwSignal::new(false),
            mastered: RwSignal::new(None),
            mastering: RwSignal::new(None),
            notice: RwSignal::new(notice),
            release: RwSignal::new(saved.release),
        }
    }

    /// What is kept across reloads.
    pub fn saved(&self) -> persist::Saved {
        persist::Saved {
            // Through the settings' own JSON, so values read as written (0.8, not 0.800000011920929).
            settings: serde_json::from_str(&self.settings.with(Settings::to_json)).unwrap_or_default(),
            target: self.target.get(),
            style: self.style.get(),
            intensity_pct: self.intensity_pct.get(),
            advanced: self.advanced.get(),
            matched: self.matched.get(),
            release: self.release.get(),
        }
    }

    /// The master-to-target target for the current choices (tracked).
    pub fn master_target(&self) -> Option<Target> {
        let ceiling = self.settings.with(|s| s.limiter.ceiling_dbtp);
        self.target.with(|t| t.target(ceiling))
    }

    /// The master-to-target target for the current choices (untracked).
    pub fn master_target_untracked(&self) -> Option<Target> {
        let ceiling = self.settings.with_untracked(|s| s.limiter.ceiling_dbtp);
        self.target.with_untracked(|t| t.target(ceiling))
    }

    /// True when the last master was made from exactly the current settings
    /// and target (tracked).
    pub fn on_target(&self) -> bool {
        let target = self.master_target();
        self.mastered.with(|m| m.as_ref().is_some_and(|m| self.settings.with(|s| m.asked == *s) && m.target == target))
    }

    /// The settings the worklet plays (tracked): the master's when it is on
    /// target; otherwise the artist's, at the last master's gains, so a
    /// change is heard at once at about the right loudness while the master
    /// is found again.
    pub fn heard_settings(&self) -> Settings {
        let settings = self.settings.get();
        let target = self.master_target();
        self.mastered.with(|m| match m {
            Some(m) if m.asked == settings && m.target == target => m.settings,
            Some(m) if target.is_some() => {
                let mut s = settings;
                s.input_gain_db = m.settings.input_gain_db;
                s.output.gain_db = m.settings.output.gain_db;
                s
            }
            _ => settings,
        })
    }

    /// What the artist asked to hear (tracked).
    pub fn listening(&self) -> Listening {
        Listening {
            bypass_all: self.bypass_all.get(),
            source: self.source.get(),
            matched: self.matched.get(),
            platform: self.listen.get(),
        }
    }

    /// Switches between the master and the mix.
    pub fn toggle_source(&self) {
        self.source.update(|s| {
            *s = match s {
                Source::Master => Source::Mix,
                Source::Mix => Source::Master,
            }
        });
    }
}
