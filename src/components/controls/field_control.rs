//! One control for one field of the settings, built from its row of the
//! field table: a slider with a typed value and its unit for numbers, a
//! switch for toggles, a list for choices.
//!
//! - Arrow keys move a slider by the field's step, by its fine step with
//!   Shift (and ten steps with Page Up/Down); Home and End go to the ends.
//! - Double-click resets the field to its default.
//! - A typed value is checked against the field's range and refused with a
//!   message that names the field; nothing is clamped.

use crate::app::use_studio;
use lacquer_dsp::settings::fields::{Field, Kind};
use lacquer_dsp::Settings;
use leptos::prelude::*;
use serde_json::Value;

/// Slider positions across a number's range.
const POSITIONS: f64 = 1000.0;

/// A number's slider position (0..=POSITIONS) for `v`.
fn position(kind: &Kind, v: f64) -> f64 {
    let Kind::Number { min, max, log, .. } = *kind else { return 0.0 };
    let t = if log && min > 0.0 { (v / min).ln() / (max / min).ln() } else { (v - min) / (max - min) };
    (t.clamp(0.0, 1.0) * POSITIONS).round()
}

/// The value at slider position `pos`, rounded to the field's step (log
/// scales: to three significant figures, then to the fine step).
fn value_at(kind: &Kind, pos: f64) -> f64 {
    let Kind::Number { min, max, step, fine_step, log } = *kind else { return 0.0 };
    let t = (pos / POSITIONS).clamp(0.0, 1.0);
    let v = if log && min > 0.0 {
        let v = min * (max / min).powf(t);
        let mag = 10f64.powf(v.log10().floor() - 2.0);
        ((v / mag).round() * mag / fine_step).round() * fine_step
    } else {
        ((min + t * (max - min)) / step).round() * step
    };
    tidy(v.clamp(min, max))
}

/// Rounds away float noise (0.30000000000000004 → 0.3).
fn tidy(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Decimals to show for a step.
fn decimals(step: f64) -> usize {
    let mut d = 0;
    let mut s = step;
    while d < 4 && (s - s.round()).abs() > 1e-9 {
        s *= 10.0;
        d += 1;
    }
    d
}

/// A value as the control shows it, with a real minus sign.
pub fn show(kind: &Kind, v: f64) -> String {
    let d = match *kind {
        Kind::Number { fine_step, .. } => decimals(fine_step).min(2),
        _ => 0,
    };
    let s = format!("{v:.d$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => format!("\u{2212}{rest}"),
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Applies `value` to `field`, or shows why not.
fn apply(field: &'static Field, value: Value, error: RwSignal<Option<String>>) {
    let studio = use_studio();
    match studio.settings.with_untracked(|s| s.with_value(field.path, value)) {
        Ok(s) => {
            error.set(None);
            studio.style.set(None);
            studio.settings.set(s);
        }
        Err(e) => error.set(Some(e.to_string())),
    }
}

/// The field's default value.
fn default_of(field: &Field) -> Value {
    Settings::default().get(field.path).unwrap_or(Value::Null)
}

/// A number: slider, typed value, unit.
#[component]
fn NumberControl(field: &'static Field, tree: Memo<Value>, disabled: Signal<bool>) -> impl IntoView {
    let kind = field.kind;
    let Kind::Number { min, max, step, fine_step, .. } = kind else { unreachable!() };
    let error = RwSignal::new(None::<String>);
    let value = move || tree.with(|t| t.pointer(field.path).and_then(Value::as_f64).unwrap_or(0.0));
    let text = move || show(&kind, value());
    let valuetext = move || if field.unit.is_empty() { text() } else { format!("{} {}", text(), field.unit) };
    let id = format!("f{}", field.path.replace('/', "-"));
    let set = move |v: f64| apply(field, serde_json::json!(tidy(v)), error);
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let s = if ev.shift_key() { fine_step } else { step };
        let v = value();
        let next = match ev.key().as_str() {
            "ArrowUp" | "ArrowRight" => v + s,
            "ArrowDown" | "ArrowLeft" => v - s,
            "PageUp" => v + 10.0 * s,
            "PageDown" => v - 10.0 * s,
            "Home" => min,
            "End" => max,
            _ => return,
        };
        ev.prevent_default();
        set(((next / s).round() * s).clamp(min, max));
    };
    let typed = move |t: String| {
        let t = t.trim().replace('\u{2212}', "-");
        let t = t.strip_suffix(field.unit).unwrap_or(&t).trim().to_string();
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => set(v),
            _ => error.set(Some(format!("{}: “{}” is not a number", field.name(), t))),
        }
    };
    let reset = move |_| apply(field, default_of(field), error);
    view! {
        <div class="field number" data-path=field.path title=field.help>
            <label for=id.clone() on:dblclick=reset>{field.label}</label>
            <input type="range" id=id min="0" max=POSITIONS.to_string() step="1"
                prop:value=move || position(&kind, value()).to_string()
                aria-valuetext=valuetext
                aria-describedby=format!("h{}", field.path.replace('/', "-"))
                disabled=move || disabled.get()
                on:input=move |ev| {
                    if let Ok(p) = event_target_value(&ev).parse::<f64>() {
                        set(value_at(&kind, p));
                    }
                }
                on:keydown=on_key
                on:dblclick=reset/>
            <span class="typed">
                <input type="text" inputmode="decimal" class="value"
                    aria-label=format!("{} ({})", field.qualified_label(), if field.unit.is_empty() { "value" } else { field.unit })
                    prop:value=text
                    disabled=move || disabled.get()
                    on:change=move |ev| typed(event_target_value(&ev))/>
                <span class="unit">{field.unit}</span>
            </span>
            <span class="sr-only" id=format!("h{}", field.path.replace('/', "-"))>{field.help}</span>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// A toggle: a switch.
#[component]
fn ToggleControl(field: &'static Field, tree: Memo<Value>, disabled: Signal<bool>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let on = move || tree.with(|t| t.pointer(field.path).and_then(Value::as_bool).unwrap_or(false));
    view! {
        <div class="field toggle" data-path=field.path title=field.help>
            <label on:dblclick=move |_| apply(field, default_of(field), error)>
                <input type="checkbox" role="switch" prop:checked=on disabled=move || disabled.get()
                    on:change=move |ev| apply(field, Value::Bool(event_target_checked(&ev)), error)/>
                <span>{field.label}</span>
            </label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// A choice: a list.
#[component]
fn ChoiceControl(field: &'static Field, tree: Memo<Value>, disabled: Signal<bool>) -> impl IntoView {
    let Kind::Choice(options) = field.kind else { unreachable!() };
    let error = RwSignal::new(None::<String>);
    let current = move || tree.with(|t| t.pointer(field.path).map(Value::to_string).unwrap_or_default());
    let id = format!("f{}", field.path.replace('/', "-"));
    let on_change = move |ev: leptos::ev::Event| match serde_json::from_str::<Value>(&event_target_value(&ev)) {
        Ok(v) => apply(field, v, error),
        Err(e) => error.set(Some(format!("{}: {e}", field.name()))),
    };
    let opts = options
        .iter()
        .map(|(v, label)| {
            let v = v.to_string();
            let v2 = v.clone();
            view! { <option value=v selected=move || current() == v2>{*label}</option> }
        })
        .collect_view();
    view! {
        <div class="field choice" data-path=field.path title=field.help>
            <label for=id.clone() on:dblclick=move |_| apply(field, default_of(field), error)>{field.label}</label>
            <select id=id disabled=move || disabled.get() prop:value=current on:change=on_change>
                {opts}
            </select>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// The control for `field`, reading the settings' JSON `tree`.
#[component]
pub fn FieldControl(field: &'static Field, tree: Memo<Value>, #[prop(into)] disabled: Signal<bool>) -> impl IntoView {
    match field.kind {
        Kind::Number { .. } => view! { <NumberControl field tree disabled/> }.into_any(),
        Kind::Toggle => view! { <ToggleControl field tree disabled/> }.into_any(),
        Kind::Choice(_) => view! { <ChoiceControl field tree disabled/> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_positions_round_trip() {
        let hz = Kind::Number { min: 20.0, max: 20_000.0, step: 1.0, fine_step: 0.1, log: true };
        assert_eq!(position(&hz, 20.0), 0.0);
        assert_eq!(position(&hz, 20_000.0), POSITIONS);
        assert!((value_at(&hz, position(&hz, 1000.0)) - 1000.0).abs() / 1000.0 < 0.01);
        let db = Kind::Number { min: -18.0, max: 18.0, step: 0.5, fine_step: 0.1, log: false };
        assert_eq!(value_at(&db, 500.0), 0.0);
        assert_eq!(show(&db, -3.0), "\u{2212}3.0");
        assert_eq!(show(&db, -0.01), "0.0");
    }
}
