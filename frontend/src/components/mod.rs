//! Display pieces shared by pages. They take plain data and decide nothing: every
//! decision they show comes from a `preflight-core` call.

pub mod action_form;
pub mod demo_bar;
pub mod import;
pub mod invoice;
pub mod logins_table;
pub mod paged;
pub mod preview_panel;
pub mod reasons;
pub mod secret;
pub mod select;
pub mod stats_grid;
pub mod upload;

/// Offers `bytes` to the person as a file download named `file_name`.
pub fn offer_file(bytes: &[u8], mime: &str, file_name: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| "the browser could not offer the file".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
