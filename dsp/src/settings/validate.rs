//! Checking settings against the field table: types, ranges, unknown fields
//! and the one rule between two fields (the crossovers' spacing). Nothing is
//! clamped: a value the table refuses is an error that names the field.
//!
//! [`Settings::from_json`] checks the JSON tree before serde sees it, so a
//! wrong type or an unknown field is reported with its JSON pointer; missing
//! fields take their defaults.

use super::fields::{field, Field, Kind, FIELDS};
use super::Settings;
use serde_json::Value;

/// The message of a [`FieldError`] for a path that names no setting.
const UNKNOWN: &str = "there is no such setting";

/// A field that cannot take a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer of the field, e.g. `"/limiter/ceiling_dbtp"`.
    pub field: String,
    /// The field as the controls show it, e.g. `"Limiter · Ceiling"` (the
    /// pointer for a field that does not exist).
    pub label: String,
    /// What is wrong, e.g. `"3 dBTP is outside −30 to 0 dBTP"`.
    pub message: String,
}

impl FieldError {
    fn new(f: &Field, message: String) -> Self {
        Self { field: f.path.to_string(), label: f.qualified_label(), message }
    }

    fn unknown(path: &str) -> Self {
        Self { field: path.to_string(), label: path.to_string(), message: UNKNOWN.into() }
    }
}

impl core::fmt::Display for FieldError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match field(&self.field) {
            Some(row) => write!(f, "{}: {}", row.name(), self.message),
            None if self.message == UNKNOWN => write!(f, "unknown setting `{}`", self.field),
            None if self.field.is_empty() => write!(f, "settings: {}", self.message),
            None => write!(f, "`{}`: {}", self.field, self.message),
        }
    }
}

impl std::error::Error for FieldError {}

/// A number as text for a message: whole numbers without decimals, others
/// with up to four, and a real minus sign.
pub(crate) fn fmt_num(v: f64) -> String {
    let s = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let t = format!("{v:.4}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match s.strip_prefix('-') {
        Some(rest) if rest != "0" => format!("−{rest}"),
        Some(_) => "0".into(),
        None => s,
    }
}

fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "" => fmt_num(v),
        ":1" | "%" => format!("{}{unit}", fmt_num(v)),
        _ => format!("{} {unit}", fmt_num(v)),
    }
}

/// Short description of a JSON value for a message.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 40 => "a long text".into(),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a group of settings".into(),
    }
}

/// Checks one value against its row. `integer`: the field is a whole
/// number (the dither seed). Returns the value as the settings hold it (a
/// choice given as `16.0` becomes `16`).
fn check(f: &Field, v: &Value, integer: bool) -> Result<Value, FieldError> {
    match f.kind {
        Kind::Number { min, max, .. } => {
            let Some(x) = v.as_f64() else {
                let what = if v.is_null() { "not a finite number".to_string() } else { format!("{} is not a number", describe(v)) };
                return Err(FieldError::new(f, what));
            };
            // The settings hold f32: compare the value as it will be held with
            // the bounds as f32, so that a bound written as a decimal accepts
            // its own value.
            let f32_of = |v: f64| if integer { v } else { v as f32 as f64 };
            if !(f32_of(min)..=f32_of(max)).contains(&f32_of(x)) {
                return Err(FieldError::new(
                    f,
                    format!("{} is outside {} to {}", with_unit(x, f.unit), fmt_num(min), with_unit(max, f.unit)),
                ));
            }
            if integer && !(v.is_u64() || x.fract() == 0.0) {
                return Err(FieldError::new(f, format!("{} is not a whole number", fmt_num(x))));
            }
            Ok(if integer { Value::from(x as u64) } else { v.clone() })
        }
        Kind::Toggle => match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => Err(FieldError::new(f, format!("{} is not on or off (true or false)", describe(v)))),
        },
        Kind::Choice(choices) => {
            for (text, _) in choices {
                let c: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                let same = match (&c, v) {
                    (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                    _ => c == *v,
                };
                if same {
                    return Ok(c);
                }
            }
            let list: Vec<&str> = choices.iter().map(|(t, _)| *t).collect();
            Err(FieldError::new(f, format!("{} is not one of {}", describe(v), list.join(", "))))
        }
    }
}

/// The rule between fields: the chain keeps its mid/high crossover at least
/// 1.5 × the low/mid one, so closer settings are refused rather than moved.
fn check_crossovers(s: &Settings) -> Result<(), FieldError> {
    let (lo, hi) = (s.compressor.crossover_low_hz as f64, s.compressor.crossover_high_hz as f64);
    if hi < lo * 1.5 {
        let f = field("/compressor/crossover_high_hz").expect("row exists");
        return Err(FieldError::new(
            f,
            format!(
                "{} is too close to the low/mid crossover ({}): it must be at least 1.5 × that, {} Hz",
                with_unit(hi, "Hz"),
                with_unit(lo, "Hz"),
                fmt_num(lo * 1.5)
            ),
        ));
    }
    Ok(())
}

/// JSON pointer escaping of one key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Walks a (possibly partial) settings tree against the default tree:
/// refuses unknown keys, wrong shapes and values the table refuses, and
/// normalises choices.
fn check_tree(input: &mut Value, default: &Value, path: &mut String) -> Result<(), FieldError> {
    match default {
        Value::Object(d) => {
            let Value::Object(m) = input else {
                return Err(shape_error(path, input, "a group of settings"));
            };
            for (k, v) in m.iter_mut() {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                let Some(dv) = d.get(k) else { return Err(FieldError::unknown(path)) };
                check_tree(v, dv, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Array(d) => {
            let Value::Array(a) = input else {
                return Err(shape_error(path, input, &format!("a list of {}", d.len())));
            };
            if a.len() != d.len() {
                return Err(shape_error(path, input, &format!("a list of {}", d.len())));
            }
            for (i, (v, dv)) in a.iter_mut().zip(d).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                check_tree(v, dv, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => {
            let Some(f) = field(path) else { return Err(FieldError::unknown(path)) };
            *input = check(f, input, default.is_u64())?;
            Ok(())
        }
    }
}

fn shape_error(path: &str, v: &Value, want: &str) -> FieldError {
    let msg = format!("{} where {want} is expected", describe(v));
    if path.is_empty() {
        return FieldError { field: String::new(), label: "Settings".into(), message: msg };
    }
    FieldError { field: path.to_string(), label: path.to_string(), message: msg }
}

fn default_tree() -> Value {
    serde_json::to_value(Settings::default()).expect("settings serialise")
}

impl Settings {
    /// The value at a JSON pointer (a field's `path`, or a group's), as JSON.
    pub fn get(&self, path: &str) -> Option<Value> {
        serde_json::to_value(self).ok()?.pointer(path).cloned()
    }

    /// These settings with one field set, checked against its row of
    /// [`FIELDS`] (type and range) and the rule between the crossovers.
    /// Nothing is clamped: a value out of range is an error.
    pub fn with_value(&self, path: &str, value: Value) -> Result<Settings, FieldError> {
        let f = field(path).ok_or_else(|| FieldError::unknown(path))?;
        let integer = default_tree().pointer(path).is_some_and(Value::is_u64);
        let v = check(f, &value, integer)?;
        let mut tree = serde_json::to_value(self).map_err(|e| FieldError::new(f, e.to_string()))?;
        let slot = tree.pointer_mut(path).ok_or_else(|| FieldError::unknown(path))?;
        *slot = v;
        let s: Settings = serde_json::from_value(tree).map_err(|e| FieldError::new(f, e.to_string()))?;
        check_crossovers(&s)?;
        Ok(s)
    }

    /// Checks every field against [`FIELDS`] (ranges, finite numbers, the
    /// choices) and the crossovers' spacing.
    pub fn validate(&self) -> Result<(), FieldError> {
        let tree = serde_json::to_value(self).expect("settings serialise");
        let defaults = default_tree();
        for f in FIELDS {
            let v = tree.pointer(f.path).ok_or_else(|| FieldError::unknown(f.path))?;
            check(f, v, defaults.pointer(f.path).is_some_and(Value::is_u64))?;
        }
        check_crossovers(self)
    }

    /// Parses settings from JSON and checks them: invalid JSON, unknown
    /// fields, wrong types and out-of-range values are refused with the
    /// field named; missing fields default, so a file need only name what
    /// it changes.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let mut tree: Value = serde_json::from_str(json).map_err(|e| format!("the settings are not valid JSON: {e}"))?;
        Self::from_tree(&mut tree).map_err(|e| e.to_string())
    }

    /// Checks a parsed (possibly partial) settings tree and builds the settings.
    pub(crate) fn from_tree(tree: &mut Value) -> Result<Self, FieldError> {
        check_tree(tree, &default_tree(), &mut String::new())?;
        let s: Settings = serde_json::from_value(tree.take())
            .map_err(|e| FieldError { field: String::new(), label: "Settings".into(), message: e.to_string() })?;
        s.validate()?;
        Ok(s)
    }
}
