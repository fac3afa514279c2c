//! The field table covers every setting exactly once, its defaults are in
//! range, and validation refuses (never clamps) what the table refuses,
//! naming the field.

use lacquer_dsp::settings::{field, preset_size_error, FieldError, Kind, Module, FIELDS, PRESET_MAX_BYTES};
use lacquer_dsp::Settings;
use serde_json::{json, Value};
use std::collections::HashMap;

/// JSON pointers of every leaf (number, bool, string) of a tree.
fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| leaves(v, format!("{path}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| leaves(v, format!("{path}/{i}"), out)),
        _ => out.push(path),
    }
}

#[test]
fn every_leaf_has_exactly_one_row_and_every_default_is_in_range() {
    let tree = serde_json::to_value(Settings::default()).unwrap();
    let mut paths = Vec::new();
    leaves(&tree, String::new(), &mut paths);
    let mut rows: HashMap<&str, usize> = HashMap::new();
    for f in FIELDS {
        *rows.entry(f.path).or_default() += 1;
    }
    for p in &paths {
        assert_eq!(rows.get(p.as_str()), Some(&1), "{p}");
    }
    assert_eq!(FIELDS.len(), paths.len(), "a row that is not a leaf");
    assert_eq!(FIELDS.len(), 67);
    Settings::default().validate().unwrap();
    for f in FIELDS {
        assert!(!f.label.is_empty() && !f.help.is_empty(), "{}", f.path);
        let v = Settings::default().get(f.path).unwrap();
        match f.kind {
            Kind::Number { min, max, step, fine_step, .. } => {
                let x = v.as_f64().unwrap();
                assert!(min < max && (min..=max).contains(&x), "{}: {x}", f.path);
                assert!(fine_step > 0.0 && fine_step <= step, "{}", f.path);
            }
            Kind::Toggle => assert!(v.is_boolean(), "{}", f.path),
            Kind::Choice(c) => {
                assert!(c.iter().any(|(t, _)| serde_json::from_str::<Value>(t).unwrap() == v), "{}", f.path);
            }
        }
    }
    // Modules appear in mastering order.
    let order: Vec<usize> = FIELDS.iter().map(|f| Module::ALL.iter().position(|m| *m == f.module).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn frequencies_stay_below_what_44_1_khz_allows() {
    for f in FIELDS.iter().filter(|f| f.unit == "Hz") {
        let Kind::Number { max, .. } = f.kind else { panic!("{}", f.path) };
        assert!(max <= 20_000.0, "{}", f.path);
    }
}

#[test]
fn every_range_is_accepted_to_its_ends_and_refused_beyond_them() {
    let s = Settings::default();
    for f in FIELDS {
        match f.kind {
            Kind::Number { min, max, .. } => {
                // The crossover rule is separate: move the other crossover out of the way.
                let base = match f.path {
                    "/compressor/crossover_low_hz" => s.with_value("/compressor/crossover_high_hz", json!(16000)).unwrap(),
                    "/compressor/crossover_high_hz" => s.with_value("/compressor/crossover_low_hz", json!(40)).unwrap(),
                    _ => s,
                };
                for x in [min, max] {
                    let t = base.with_value(f.path, json!(x)).unwrap_or_else(|e| panic!("{e}"));
                    let held = t.get(f.path).unwrap().as_f64().unwrap();
                    let want = if f.path == "/output/dither_seed" { x } else { x as f32 as f64 };
                    assert_eq!(held, want, "{}", f.path);
                    t.validate().unwrap();
                }
                let span = max - min;
                for x in [min - span * 0.01, max + span * 0.01] {
                    let e = base.with_value(f.path, json!(x)).unwrap_err();
                    assert_eq!(e.field, f.path);
                    assert!(e.message.contains("outside"), "{e}");
                }
                assert!(base.with_value(f.path, json!("1")).is_err());
                assert!(base.with_value(f.path, json!(true)).is_err());
            }
            Kind::Toggle => {
                for b in [true, false] {
                    assert_eq!(s.with_value(f.path, json!(b)).unwrap().get(f.path), Some(json!(b)));
                }
                assert_eq!(s.with_value(f.path, json!(1)).unwrap_err().field, f.path);
            }
            Kind::Choice(c) => {
                for (text, label) in c {
                    assert!(!label.is_empty());
                    let v: Value = serde_json::from_str(text).unwrap();
                    assert_eq!(s.with_value(f.path, v.clone()).unwrap().get(f.path), Some(v));
                }
                assert_eq!(s.with_value(f.path, json!("nope")).unwrap_err().field, f.path);
            }
        }
    }
}

#[test]
fn messages_name_the_field() {
    let e = Settings::default().with_value("/limiter/ceiling_dbtp", json!(3.0)).unwrap_err();
    assert_eq!(
        e,
        FieldError {
            field: "/limiter/ceiling_dbtp".into(),
            label: "Limiter · Ceiling".into(),
            message: "3 dBTP is outside −30 to 0 dBTP".into()
        }
    );
    assert_eq!(e.to_string(), "Limiter ceiling: 3 dBTP is outside −30 to 0 dBTP");
    let e = Settings::default().with_value("/eq/peaks/1/gain_db", json!(-30.5)).unwrap_err();
    assert_eq!(e.to_string(), "EQ peak 2 gain: −30.5 dB is outside −18 to 18 dB");
    assert_eq!(field("/input_gain_db").unwrap().name(), "Input gain");
    assert_eq!(field("/amount_pct").unwrap().name(), "Amount");
    let e = Settings::default().with_value("/output/dither_bits", json!(20)).unwrap_err();
    assert_eq!(e.to_string(), "Output dither word length: 20 is not one of 16, 24");
    let e = Settings::default().with_value("/limiter/celing_dbtp", json!(-1)).unwrap_err();
    assert_eq!(e.to_string(), "unknown setting `/limiter/celing_dbtp`");
}

#[test]
fn from_json_refuses_out_of_range_wrong_types_and_unknown_fields() {
    let ok = Settings::from_json(r#"{"limiter":{"ceiling_dbtp":-2.0},"output":{"dither_bits":16.0}}"#).unwrap();
    assert_eq!(ok.limiter.ceiling_dbtp, -2.0);
    assert_eq!(ok.output.dither_bits, 16);
    assert_eq!(ok.eq, Settings::default().eq);
    for (json, names) in [
        (r#"{"output":{"gain_db":2}}"#, "Output gain: 2 dB is outside −60 to 0 dB"),
        (r#"{"limiter":{"ceiling_dbtp":"-1"}}"#, "Limiter ceiling: \"-1\" is not a number"),
        (r#"{"eq":{"bypass":1}}"#, "EQ bypass: 1 is not on or off"),
        (r#"{"compressor":{"mode":"triple"}}"#, "Compressor mode: \"triple\" is not one of"),
        (r#"{"compressor":{"bands":[{},{"ratio":0.5},{}]}}"#, "Compressor mid band ratio: 0.5:1 is outside 1 to 20:1"),
        (r#"{"eq":{"peaks":[{},{}]}}"#, "`/eq/peaks`: a list where a list of 3 is expected"),
        (r#"{"limiter":{"celing_dbtp":-2}}"#, "unknown setting `/limiter/celing_dbtp`"),
        (r#"{"stereo":5}"#, "`/stereo`: 5 where a group of settings is expected"),
        (r#"{"output":{"dither_seed":1.5}}"#, "Output dither seed: 1.5 is not a whole number"),
        (r#"{"output":{"dither_seed":-1}}"#, "Output dither seed: −1 is outside 0 to 4294967295"),
        (r#"{"compressor":{"crossover_low_hz":800,"crossover_high_hz":1000}}"#, "Compressor mid/high crossover: 1000 Hz is too close"),
        ("[1]", "settings: a list where a group of settings is expected"),
    ] {
        let e = Settings::from_json(json).unwrap_err();
        assert!(e.starts_with(names), "{json}: {e}");
    }
    assert!(Settings::from_json("{").unwrap_err().contains("not valid JSON"));
}

#[test]
fn validate_refuses_values_set_in_code() {
    let mut s = Settings::default();
    s.stereo.width_pct = f32::NAN;
    assert_eq!(s.validate().unwrap_err().to_string(), "Stereo width: not a finite number");
    let mut s = Settings::default();
    s.output.gain_db = 0.5;
    assert_eq!(s.validate().unwrap_err().field, "/output/gain_db");
    let mut s = Settings::default();
    s.output.dither_bits = 8;
    assert_eq!(s.validate().unwrap_err().field, "/output/dither_bits");
    let mut s = Settings::default();
    s.output.dither_seed = u32::MAX;
    s.validate().unwrap();
}

#[test]
fn presets() {
    assert_eq!(Settings::from_preset_json("{}").unwrap(), Settings::default());
    let p = Settings::from_preset_json(r#"{ "stereo": { "width_pct": 120 } }"#).unwrap();
    assert_eq!(p.stereo.width_pct, 120.0);
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(10 * 1024 * 1024));
    assert_eq!(Settings::from_preset_json(&big).unwrap_err(), "The preset file is 10 MB; a preset is at most 64 KB");
    assert_eq!(preset_size_error(PRESET_MAX_BYTES as u64), None);
    assert_eq!(preset_size_error(100 * 1024).unwrap(), "The preset file is 100 KB; a preset is at most 64 KB");
    let e = Settings::from_preset_json("{ \"eq\": ").unwrap_err();
    assert!(e.starts_with("The preset file is not valid JSON (line 1"), "{e}");
    let e = Settings::from_preset_json(r#"{"limiter":{"ceiling_dbtp":3}}"#).unwrap_err();
    assert_eq!(e, "The preset file cannot be used: Limiter ceiling: 3 dBTP is outside −30 to 0 dBTP");
    let e = Settings::from_preset_json(r#"{"limiter":{"bypass":"no"}}"#).unwrap_err();
    assert!(e.contains("Limiter bypass"), "{e}");
    let e = Settings::from_preset_json(r#"{"colour":"red"}"#).unwrap_err();
    assert!(e.contains("`/colour`"), "{e}");
}

#[test]
fn get_reads_fields_and_groups() {
    let s = Settings::default();
    assert_eq!(s.get("/limiter/ceiling_dbtp"), Some(json!(-1.0)));
    assert_eq!(s.get("/compressor/detector"), Some(json!("rms")));
    assert_eq!(s.get("/eq/highpass_slope"), Some(json!("12")));
    assert!(s.get("/eq/peaks").unwrap().is_array());
    assert_eq!(s.get("/nope"), None);
    // Round trip through JSON is exact.
    assert_eq!(Settings::from_json(&s.to_json()).unwrap(), s);
}
