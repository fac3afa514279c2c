//! Offering a finished file (a `Blob` or `File` the worker made) as a download.

use super::js_err;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, HtmlAnchorElement, Url};

/// How long a download's object URL stays valid, ms.
const REVOKE_AFTER_MS: i32 = 120_000;

/// Offers `blob` as a file download named `file_name`.
pub fn download(blob: &Blob, file_name: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let url = Url::create_object_url_with_blob(blob).map_err(js_err)?;
    let a: HtmlAnchorElement = document.create_element("a").map_err(js_err)?.unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    document.body().ok_or("no body")?.append_child(&a).map_err(js_err)?;
    a.click();
    a.remove();
    // Free the URL once the browser has taken the file.
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), REVOKE_AFTER_MS);
    Ok(())
}
