//! The checker: a second engine worker (the same `lacquer-worker.js`, with a
//! wasm instance of its own) that measures delivered files as the browser
//! decoded them again ([`super::verify`]), so that the engine worker goes on
//! making the next file meanwhile and the two cores share the work. It holds
//! no audio of its own: one piece of a decoded file at a time. It starts at
//! the first check and stays; if it dies, the check in progress fails with
//! a message and the next check starts a new one.

use super::worker::{Event, WorkerLink};
use super::{verify, Engine};
use crate::state::ExportState;
use leptos::prelude::*;
use std::rc::{Rc, Weak};

impl Engine {
    /// The checker, started if it is not running.
    pub(super) fn checker(&self) -> Result<Rc<WorkerLink>, String> {
        if let Some(c) = self.inner.borrow().checker.clone() {
            return Ok(c);
        }
        let weak: Weak<_> = Rc::downgrade(&self.inner);
        let (state, studio) = (self.state, self.studio);
        let link = Rc::new(WorkerLink::start_checker(move |ev| {
            if let Some(inner) = weak.upgrade() {
                Engine { inner, state, studio }.on_checker_event(ev);
            }
        })?);
        self.inner.borrow_mut().checker = Some(link.clone());
        Ok(link)
    }

    /// Cancels the checker's check of command `id`, if one runs.
    pub(super) fn cancel_check(&self, id: u32) {
        if let Some(c) = self.inner.borrow().checker.as_ref() {
            c.send("cancel", id, &[], &[]);
        }
    }

    /// A message from the checker.
    fn on_checker_event(&self, ev: Event) {
        match ev {
            Event::Progress { id, stage, phase, fraction } if stage == "verify" => {
                if self.inner.borrow().export.as_ref().is_some_and(|r| r.id == id && r.made) {
                    self.state.export.set(ExportState::Running { fraction, phase });
                }
            }
            Event::Release { kind, id, data } if kind == "verified" => verify::settle(id, &data),
            Event::Release { kind, id, data } if kind == "codec-checked" => verify::settle_codec(id, &data),
            Event::Release { kind, id, data } if kind == "verify-ack" => {
                let frames = js_sys::Reflect::get(&data, &"frames".into()).ok().and_then(|f| f.as_f64()).unwrap_or(0.0);
                verify::acknowledged(id, frames as u32);
            }
            Event::Cancelled { id } => {
                verify::settle(id, &wasm_bindgen::JsValue::NULL);
                verify::settle_codec(id, &wasm_bindgen::JsValue::NULL);
            }
            Event::Failed { id, message, fatal } => {
                if fatal {
                    self.inner.borrow_mut().checker = None;
                    verify::fail_all(&format!("the checker stopped ({message})"));
                } else {
                    verify::fail(id, &message);
                }
            }
            _ => {}
        }
    }
}
