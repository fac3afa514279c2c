//! File names that every distributor accepts: ASCII letters, digits, `-` and
//! `_`, and one dot before the extension.
//!
//! A release's files are named `{base}_{role}_{bits}bit_{rate}.wav`, e.g.
//! `Artist-Title_streaming_24bit_48k.wav` or `Artist-Title_cd_16bit_44k1.wav`:
//! the base from the artist and title tags (or the title alone, or the input
//! file's name), the role, the word length and the rate in kHz with `k` for
//! the decimal point. `_` separates those fields, so inside the base every run
//! of anything else (spaces, punctuation, `_`, letters with no ASCII form)
//! becomes one `-`.

/// Longest base, characters (the whole name stays well under the 64
/// characters some distributors' upload forms take).
pub const MAX_BASE: usize = 40;

/// The ASCII letter a common accented Latin letter is written with, if any.
fn fold(c: char) -> Option<char> {
    Some(match c {
        'À'..='Å' => 'A',
        'à'..='å' => 'a',
        'Ç' => 'C',
        'ç' => 'c',
        'È'..='Ë' => 'E',
        'è'..='ë' => 'e',
        'Ì'..='Ï' => 'I',
        'ì'..='ï' => 'i',
        'Ñ' => 'N',
        'ñ' => 'n',
        'Ò'..='Ö' | 'Ø' => 'O',
        'ò'..='ö' | 'ø' => 'o',
        'Ù'..='Ü' => 'U',
        'ù'..='ü' => 'u',
        'Ý' => 'Y',
        'ý' | 'ÿ' => 'y',
        'ß' => 's',
        _ => return None,
    })
}

/// Makes `text` safe as part of a file name: ASCII letters and digits kept
/// (common accented letters lose their accents), every run of anything else
/// one `-`, none at either end, at most [`MAX_BASE`] characters. `None` when
/// nothing is left.
pub fn sanitize(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() { Some(c) } else { fold(c) };
        match c {
            Some(c) => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c);
            }
            None => dash = true,
        }
    }
    if out.len() > MAX_BASE {
        out.truncate(MAX_BASE);
        while out.ends_with('-') {
            out.pop();
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The base of a release's file names: `Artist-Title` when both tags are
/// given, else the title, else the input file's name without its folder and
/// extension, else `master`.
pub fn base_name(artist: Option<&str>, title: Option<&str>, source_name: &str) -> String {
    let artist = artist.and_then(sanitize);
    let title = title.and_then(sanitize);
    let stem = {
        let file = source_name.rsplit(['/', '\\']).next().unwrap_or(source_name);
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        sanitize(stem)
    };
    match (artist, title) {
        (Some(a), Some(t)) => {
            let mut s = format!("{a}-{t}");
            if s.len() > MAX_BASE {
                s = sanitize(&s).unwrap_or(s);
            }
            s
        }
        (None, Some(t)) => t,
        (Some(a), None) => stem.map_or(a.clone(), |s| format!("{a}-{s}")).chars().take(MAX_BASE).collect(),
        (None, None) => stem.unwrap_or_else(|| "master".to_string()),
    }
}

/// A sample rate as the name gives it: `48k`, `44k1`, `88k2`, `192k`.
pub fn rate_label(sample_rate: u32) -> String {
    let k = sample_rate / 1000;
    let tenth = (sample_rate % 1000) / 100;
    if tenth == 0 {
        format!("{k}k")
    } else {
        format!("{k}k{tenth}")
    }
}

/// A whole file name: `{base}_{role}_{bits}bit_{rate}.{ext}`.
pub fn file_name(base: &str, role: &str, bits: u16, sample_rate: u32, ext: &str) -> String {
    format!("{base}_{role}_{bits}bit_{}.{ext}", rate_label(sample_rate))
}

/// Whether a name is safe: one or more of ASCII letters, digits, `-` and
/// `_`, then one dot and an extension of letters and digits.
pub fn is_safe(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok(stem) && !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitiser_keeps_letters_and_digits_only() {
        assert_eq!(sanitize("Björk").as_deref(), Some("Bjork"));
        assert_eq!(sanitize("  AC/DC: Back in Black (2024 Remaster)!  ").as_deref(), Some("AC-DC-Back-in-Black-2024-Remaster"));
        assert_eq!(sanitize("a__b..c").as_deref(), Some("a-b-c"));
        assert_eq!(sanitize("../../etc/passwd").as_deref(), Some("etc-passwd"));
        assert_eq!(sanitize("Sigur Rós – Hoppípolla").as_deref(), Some("Sigur-Ros-Hoppipolla"));
        assert_eq!(sanitize("東京"), None);
        assert_eq!(sanitize("---"), None);
        assert_eq!(sanitize(""), None);
        let long = sanitize(&"word ".repeat(30)).unwrap();
        assert!(long.len() <= MAX_BASE && !long.ends_with('-'));
    }

    #[test]
    fn names_from_tags_or_the_input() {
        assert_eq!(base_name(Some("The Artist"), Some("A Song"), "x.wav"), "The-Artist-A-Song");
        assert_eq!(base_name(None, Some("A Song"), "x.wav"), "A-Song");
        assert_eq!(base_name(None, None, "/home/me/mixes/My Mix v3.final.wav"), "My-Mix-v3-final");
        assert_eq!(base_name(None, None, "C:\\mixes\\Ünïcode.wav"), "Unicode");
        assert_eq!(base_name(None, None, "東京.wav"), "master");
        assert_eq!(base_name(Some("Band"), None, "take 2.wav"), "Band-take-2");
        let n = file_name("Artist-Title", "streaming", 24, 48_000, "wav");
        assert_eq!(n, "Artist-Title_streaming_24bit_48k.wav");
        assert_eq!(file_name("A", "cd", 16, 44_100, "wav"), "A_cd_16bit_44k1.wav");
        assert_eq!(rate_label(88_200), "88k2");
        assert_eq!(rate_label(192_000), "192k");
        for name in [n.as_str(), "report.json", "A_cd_16bit_44k1.wav"] {
            assert!(is_safe(name), "{name}");
        }
        for bad in ["a b.wav", "a/b.wav", "é.wav", "noext", ".wav", "a.w-v", "../a.wav"] {
            assert!(!is_safe(bad), "{bad}");
        }
    }
}
