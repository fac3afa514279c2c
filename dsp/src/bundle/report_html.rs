//! `report.html`: the bundle's report to read on screen or print. One
//! self-contained page: inline CSS in a neutral, print-friendly style, the
//! loudness graph as inline SVG ([`super::svg`]), no scripts, no fonts or
//! images to fetch. It says what `report.json` says.

use super::measure::FileReport;
use super::report_json::{BundleReport, FileEntry};
use super::svg;
use std::fmt::Write;

/// The page's style.
const CSS: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;background:#fff;\
max-width:980px;margin:2em auto;padding:0 1.2em}\
h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.8em 0 .5em;border-bottom:1px solid #ccc;padding-bottom:.2em}\
h3{font-size:1em;margin:1.2em 0 .4em}\
p.sub{color:#555;margin:0 0 1em}\
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-variant-numeric:tabular-nums}\
th,td{border-bottom:1px solid #e2e2e2;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}\
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}code.name{word-break:break-all}small{color:#555}\
pre{background:#f6f6f6;border:1px solid #e2e2e2;padding:.7em;overflow-x:auto}\
.ok{color:#1e7b34}.bad{color:#b3261e;font-weight:600}\
.box{border:1px solid #ccc;border-left:4px solid #1e7b34;padding:.5em .8em;margin:1em 0}\
.box.warn{border-left-color:#b3261e}\
svg{max-width:100%;height:auto}\
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}table,svg,pre{break-inside:avoid}}";

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A figure with its unit and a real minus sign; `–` when there is none.
fn fig(v: Option<f64>, decimals: usize, unit: &str) -> String {
    match v {
        Some(v) if v.is_finite() => {
            let s = format!("{:.*}", decimals, v.abs());
            let neg = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
            format!("{}{s} {unit}", if neg { "\u{2212}" } else { "" })
        }
        _ => "\u{2013}".to_string(),
    }
}

/// A gain with its sign.
fn gain(v: f64) -> String {
    let s = fig(Some(v), 2, "dB");
    if v > 0.0 && !s.starts_with("0.00") {
        format!("+{s}")
    } else {
        s
    }
}

/// `m:ss.s`.
fn length(s: f64) -> String {
    let tenths = (s * 10.0).round() as u64;
    format!("{}:{:02}.{}", tenths / 600, (tenths / 10) % 60, tenths % 10)
}

/// "WAV PCM 24-bit, 48 kHz, stereo".
fn format_text(m: &FileReport) -> String {
    let f = m.format;
    let code = match f.format_code {
        1 => "PCM".to_string(),
        3 => "float".to_string(),
        c => format!("format 0x{c:04X}"),
    };
    let ch = match f.channels {
        1 => "mono".to_string(),
        2 => "stereo".to_string(),
        c => format!("{c} ch"),
    };
    let khz = f.sample_rate as f64 / 1000.0;
    format!("WAV {code} {}-bit, {} kHz, {ch}", f.bits, khz)
}

/// ✓ or ✗ with a label.
fn mark(ok: bool, label: &str) -> String {
    if ok {
        format!("<span class=\"ok\">\u{2713} {label}</span>")
    } else {
        format!("<span class=\"bad\">\u{2717} {label}</span>")
    }
}

fn files_table(out: &mut String, files: &[FileEntry]) {
    out.push_str(
        "<table><thead><tr><th>File</th><th class=\"n\">Integrated</th><th class=\"n\">LRA</th>\
         <th class=\"n\">Sample peak</th><th class=\"n\">True peak (16×)</th><th class=\"n\">PLR</th>\
         <th class=\"n\">Max short-term</th><th>Checks</th></tr></thead><tbody>",
    );
    for f in files {
        let m = &f.measured;
        let c = &f.checks;
        let target = f.target_lufs.map_or("no loudness target".to_string(), |t| format!("target {}", fig(Some(t), 1, "LUFS")));
        let loudness = c.loudness_error_lu.map_or("loudness".to_string(), |e| format!("loudness {}", gain(e).replace("dB", "LU")));
        let _ = write!(
            out,
            "<tr><td><code class=\"name\">{}</code><br><small>{}, {} ({} frames); {}, ceiling {}</small></td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}<br>{}<br>{}<br>{}</td></tr>",
            escape(&f.name),
            format_text(m),
            length(m.duration_s),
            m.frames,
            target,
            fig(Some(f.ceiling_dbtp), 1, "dBTP"),
            fig(m.integrated_lufs, 2, "LUFS"),
            fig(Some(m.lra_lu), 1, "LU"),
            fig(m.sample_peak_dbfs, 2, "dBFS"),
            fig(m.true_peak_dbtp, 2, "dBTP"),
            fig(m.plr_db, 1, "dB"),
            fig(m.max_short_term_lufs, 1, "LUFS"),
            mark(c.format_ok, "format"),
            mark(c.length_ok, "length"),
            mark(c.ceiling_ok, "ceiling"),
            mark(c.loudness_ok, &loudness),
        );
    }
    out.push_str("</tbody></table>\n<ul>");
    for f in files {
        let gain_note = if f.ceiling_gain_db != 0.0 {
            format!(" Lowered {} after conversion and dither to hold the ceiling.", gain(f.ceiling_gain_db))
        } else {
            String::new()
        };
        let _ = write!(out, "<li><code>{}</code>: {}.{}</li>", escape(&f.name), escape(&f.description), gain_note);
    }
    out.push_str("</ul>");
}

fn platforms_table(out: &mut String, f: &FileEntry) {
    let _ = write!(out, "<h3><code>{}</code></h3>", escape(&f.name));
    out.push_str(
        "<table><thead><tr><th>Platform</th><th class=\"n\">Target</th><th class=\"n\">Playback gain</th>\
         <th class=\"n\">Plays at</th><th class=\"n\">Peak after gain</th><th>Verdict</th></tr></thead><tbody>",
    );
    for p in &f.platforms {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&p.name),
            fig(p.target_lufs, 0, "LUFS"),
            gain(p.gain_db),
            fig(p.playback_lufs, 1, "LUFS"),
            fig(p.playback_peak_dbtp, 1, "dBTP"),
            escape(&p.verdict),
        );
    }
    out.push_str("</tbody></table>");
}

/// The page.
pub fn to_html(r: &BundleReport) -> String {
    let t = &r.tags;
    let heading = match (t.artist.is_empty(), t.title.is_empty()) {
        (false, false) => format!("{} \u{2013} {}", t.artist, t.title),
        (true, false) => t.title.clone(),
        _ => r.source.clone(),
    };
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Release report: {}</title><style>{CSS}</style></head><body>\n",
        escape(&heading)
    );
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"sub\">Release bundle of <code>{}</code> for {} (target {}, ceiling {}), made by {} {}.</p>\n",
        escape(&heading),
        escape(&r.source),
        escape(&r.platform.name),
        fig(r.platform.target_lufs, 1, "LUFS"),
        fig(Some(r.platform.ceiling_dbtp), 1, "dBTP"),
        escape(&r.tool),
        escape(&r.version),
    );
    if r.all_checks_ok && r.warnings.is_empty() {
        o.push_str("<div class=\"box\">Every file passes every check: format, length, true-peak ceiling and loudness, measured on the files themselves.</div>\n");
    } else {
        o.push_str("<div class=\"box warn\"><strong>To read before release:</strong><ul>");
        for w in &r.warnings {
            let _ = write!(o, "<li>{}</li>", escape(w));
        }
        o.push_str("</ul></div>\n");
    }
    o.push_str("<h2>Files</h2>\n<p>Every figure is measured on the file itself, decoded again after it was written: loudness after ITU-R BS.1770 / EBU R 128 (LRA after EBU Tech 3342), true peak by 16× oversampling, PLR = true peak − integrated loudness.</p>\n");
    files_table(&mut o, &r.files);
    let c = &r.loudness_curve;
    if !c.short_term_lufs.is_empty() {
        let duration = r.files.iter().find(|f| f.name == c.file).map_or(0.0, |f| f.measured.duration_s);
        let _ = write!(o, "<h2>Loudness over time</h2>\n<p>Of <code>{}</code>.</p>\n", escape(&c.file));
        o.push_str(&svg::loudness_graph(c, duration));
        o.push('\n');
    }
    o.push_str("<h2>Playback on each platform</h2>\n<p>The gain each platform applies when it normalises the file, and what the listener then hears.</p>\n");
    for f in &r.files {
        platforms_table(&mut o, f);
    }
    o.push_str("<h2>Tags</h2>\n<table><tbody>");
    for (k, v) in [("Title", &t.title), ("Artist", &t.artist), ("Album", &t.album), ("Year", &t.year), ("ISRC", &t.isrc)] {
        let v = if v.is_empty() { "\u{2013}".to_string() } else { escape(v) };
        let _ = write!(o, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    let _ = write!(
        o,
        "</tbody></table><p>{}</p>\n",
        if r.tags_in_files { "The tags are written into the files." } else { "The files carry no tags." }
    );
    o.push_str("<h2>Checksums (SHA-256)</h2>\n<table><tbody>");
    for f in &r.files {
        let _ = write!(o, "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>", escape(&f.name), f.measured.sha256);
    }
    o.push_str("</tbody></table>\n<h2>Settings</h2>\n<p>As chosen:</p>\n");
    let _ = write!(o, "<pre>{}</pre>\n", escape(&r.settings.to_json()));
    for f in &r.files {
        if let Some(s) = &f.settings {
            let _ = write!(
                o,
                "<h3>Master of <code>{}</code></h3><p>Rendering the source with these settings gives its samples{}.</p><pre>{}</pre>\n",
                escape(&f.name),
                if f.role == super::Role::Cd { " (before conversion to 44.1 kHz and 16 bits)" } else { "" },
                escape(&s.to_json())
            );
        }
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_escaping() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(fig(Some(-14.004), 2, "LUFS"), "\u{2212}14.00 LUFS");
        assert_eq!(fig(Some(-0.001), 2, "dB"), "0.00 dB");
        assert_eq!(fig(None, 2, "dB"), "\u{2013}");
        assert_eq!(gain(3.5), "+3.50 dB");
        assert_eq!(length(240.04), "4:00.0");
        assert_eq!(length(61.25), "1:01.3");
    }
}
