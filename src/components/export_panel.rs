//! Export: master the mix with the studio's settings to its target and
//! download a release file (the format, rate and tags of the release form)
//! or the release bundle; every file is checked before it is offered, and
//! the figures shown are those of the file as the browser decoded it.

use crate::app::{use_engine, use_state};
use crate::state::{CheckedFile, CodecCheck, ExportState};
use lacquer_dsp::job::MasterReport;
use leptos::prelude::*;

fn fmt(v: Option<f64>, unit: &str) -> String {
    v.map_or("—".into(), |v| format!("{v:.1} {unit}"))
}

/// The master's loudness and how each platform will play it (shown once an
/// export has finished).
#[component]
pub fn MasterReportCard() -> impl IntoView {
    let state = use_state();
    move || match state.export.get() {
        ExportState::Done { report: Some(report), .. } => Some(view! {
            <div class="card master-report" data-testid="master-report">
                <h2>"Master"</h2>
                <Report report=report/>
            </div>
        }),
        _ => None,
    }
}

/// The report's figures, warning and platform table.
#[component]
fn Report(report: Box<MasterReport>) -> impl IntoView {
    let o = &report.output_loudness;
    let rows = report
        .platforms
        .iter()
        .map(|p| {
            view! {
                <tr data-testid="platform-row" data-platform=p.id.clone()>
                    <td>{p.name.clone()}</td>
                    <td class="num">{p.target_lufs.map_or("—".into(), |t| format!("{t:.0}"))}</td>
                    <td class="num" data-gain=format!("{:.2}", p.gain_db)>{format!("{:+.1} dB", p.gain_db)}</td>
                    <td class="num">{fmt(p.playback_lufs, "LUFS")}</td>
                    <td class="verdict">{p.verdict.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="report">
            <div class="figures">
                <div><span class="k">"Integrated"</span>
                    <span class="v" data-testid="report-lufs"
                        data-lufs=o.integrated_lufs.map_or(String::new(), |v| format!("{v:.3}"))>
                        {fmt(o.integrated_lufs, "LUFS")}</span></div>
                <div><span class="k">"True peak"</span>
                    <span class="v" data-testid="report-tp"
                        data-dbtp=o.true_peak_dbtp.map_or(String::new(), |v| format!("{v:.3}"))>
                        {fmt(o.true_peak_dbtp, "dBTP")}</span></div>
                <div><span class="k">"Loudness range"</span>
                    <span class="v">{format!("{:.1} LU", o.lra_lu)}</span></div>
                <div><span class="k">"PLR"</span><span class="v">{fmt(o.plr_db, "dB")}</span></div>
            </div>
            {report.warning.clone().map(|w| view! { <div class="warning" data-testid="report-warning">{w}</div> })}
            <table class="platforms">
                <thead><tr><th>"Platform"</th><th class="num">"Target"</th><th class="num">"Gain"</th>
                    <th class="num">"Plays at"</th><th>"Verdict"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The export panel with its target, button, progress (with Cancel) and result.
#[component]
pub fn ExportPanel() -> impl IntoView {
    let state = use_state();
    let engine = use_engine();
    let running = move || matches!(state.export.get(), ExportState::Running { .. });
    // The master needs the input's analysis (its loudness is the search's start).
    let ready = move || state.analysis.with(Option::is_some);
    let studio = crate::app::use_studio();
    let start = move |_| engine.export_wav();
    let engine2 = use_engine();
    let start_bundle = move |_| engine2.export_bundle();
    let tags_bad = move || studio.release.with(|r| r.tags_problem().is_some());
    // A `Copy` handle: the progress view is re-rendered as it moves.
    let handle = expect_context::<crate::app::EngineHandle>();
    let cancel = move |_| handle.with_value(|e| e.cancel_export());
    // The export always masters the current settings to the current target,
    // so it is never off target, whatever the preview is doing.
    let target_text = move || {
        let ceiling = studio.settings.with(|s| s.limiter.ceiling_dbtp) as f64;
        let t = studio.target.get();
        let ceiling = format!("{} dBTP", crate::studio::target::signed(ceiling, 1));
        match t.lufs() {
            Some(l) => format!("{} · {} LUFS · {ceiling}", t.name(), crate::studio::target::signed(l, 1)),
            None => format!("{} · {ceiling}", t.name()),
        }
    };
    view! {
        <div class="card export">
            <h2>"Export"</h2>
            <div class="target">
                <span class="k">"Target"</span>
                <span class="v" data-testid="export-target">{target_text}</span>
            </div>
            <crate::components::release_form::ReleaseForm/>
            <div class="buttons">
                <button class="button primary" data-testid="export" disabled=move || running() || !ready() || tags_bad()
                    on:click=start>
                    {move || if running() { "Rendering…" } else if ready() { "Export file" } else { "Analysing…" }}
                </button>
                <button class="button" data-testid="export-bundle" disabled=move || running() || !ready() || tags_bad()
                    on:click=start_bundle>"Export release bundle (ZIP)"</button>
            </div>
            {move || match state.export.get() {
                ExportState::Idle => None,
                ExportState::Running { fraction, phase } => Some(view! {
                    <div class="progress" data-testid="export-progress">
                        <div class="track" role="progressbar" aria-label="Export progress"
                            aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{:.0}", fraction * 100.0)>
                            <div class="fill" style:width=format!("{:.1}%", fraction * 100.0)></div>
                        </div>
                        <span>{format!("{phase} · {:.0}%", fraction * 100.0)}</span>
                        <button class="button small" data-testid="export-cancel" on:click=cancel>"Cancel"</button>
                    </div>
                }.into_any()),
                ExportState::Cancelled => Some(view! {
                    <div class="done" data-testid="export-cancelled"><div class="summary">"Export cancelled."</div></div>
                }.into_any()),
                ExportState::Done { file_name, summary, files, codec, .. } => Some(view! {
                    <div class="done" data-testid="export-done">
                        <div class="file">{format!("✓ {file_name}")}</div>
                        <div class="summary">{summary}</div>
                        <CheckedFiles files=files/>
                        {codec.map(|c| view! { <Codec check=c/> })}
                    </div>
                }.into_any()),
            }}
        </div>
    }
}

/// The delivered files as the browser decoded them again.
#[component]
fn CheckedFiles(files: Vec<CheckedFile>) -> impl IntoView {
    let rows = files
        .into_iter()
        .map(|f| {
            let ok = f.problems.is_empty();
            view! {
                <tr data-testid="checked-file" data-name=f.name.clone() data-frames=f.frames.to_string()
                    data-rate=f.sample_rate.to_string()
                    data-lufs=f.integrated_lufs.map_or(String::new(), |v| format!("{v:.3}"))
                    data-dbtp=f.true_peak_dbtp.map_or(String::new(), |v| format!("{v:.3}"))
                    data-ok=ok.to_string()>
                    <td title=f.description.clone()>{f.name.clone()}</td>
                    <td class="num">{format!("{:.1} kHz", f.sample_rate as f64 / 1000.0)}</td>
                    <td class="num">{fmt(f.integrated_lufs, "LUFS")}</td>
                    <td class="num">{f.true_peak_dbtp.map_or("—".into(), |v| format!("{v:.2} dBTP"))}</td>
                    <td>{if ok { "✓ as made".to_string() } else { f.problems.join("; ") }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="checked" aria-label="Files as decoded again">
            <thead><tr><th>"File (decoded again)"</th><th class="num">"Rate"</th><th class="num">"Loudness"</th>
                <th class="num">"True peak"</th><th>"Check"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The streaming master through a lossy codec and back.
#[component]
fn Codec(check: CodecCheck) -> impl IntoView {
    let over = check.peak_dbfs.is_some_and(|p| p > 0.0);
    let text = match (&check.error, check.peak_dbfs) {
        _ if check.pending => format!("{}: encoding and decoding the streaming master…", check.codec),
        (Some(e), _) => format!("{}: not checked ({e})", check.codec),
        (None, Some(p)) => format!("{}: decoded peak {p:+.2} dBFS", check.codec),
        (None, None) => format!("{}: silence", check.codec),
    };
    view! {
        <div class="codec" data-testid="codec-check" aria-live="polite" data-pending=check.pending.to_string()
            data-peak=check.peak_dbfs.map_or(String::new(), |v| format!("{v:.3}"))>
            {text}
            {over.then(|| view! { <div class="warning" data-testid="codec-warning">
                "Over 0 dBFS after encoding: a lossy platform will clip this master. Lower the ceiling."</div> })}
        </div>
    }
}
