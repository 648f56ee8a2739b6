//! Uploading a file into one of an organisation's boxes. The file is read in the
//! browser by the platform's UBL reader and the upload previewed (allowed or why
//! not, who will see the new document) before anything is sent.

use leptos::prelude::*;

use crate::components::select::LabelledSelect;
use leptos_router::components::A;
use preflight_core::peppol::upload_command;
use preflight_core::{preview, Actor, Context, DocBox, OrganisationId};
use wasm_bindgen::JsCast;

use crate::components::preview_panel::PreviewPanel;
use crate::session::{now, use_session};

/// A file picked in the form.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Picked {
    name: String,
    bytes: Vec<u8>,
}

async fn read_file(file: web_sys::File) -> Result<Picked, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| "the browser could not read the file".to_string())?;
    Ok(Picked {
        name: file.name(),
        bytes: js_sys::Uint8Array::new(&buffer).to_vec(),
    })
}

fn box_of(value: &str) -> DocBox {
    match value {
        "InboxIn" => DocBox::InboxIn,
        "InboxOut" => DocBox::InboxOut,
        _ => DocBox::Documents,
    }
}

/// The upload form's state, owned by the page: live updates render the page anew,
/// and a picked file or the answer to an upload must survive that.
#[derive(Clone, Copy)]
pub struct UploadState {
    doc_box: RwSignal<String>,
    picked: RwSignal<Option<Result<Picked, String>>>,
    /// (success, message, link to the new document).
    notice: RwSignal<Option<(bool, String, Option<String>)>>,
}

impl UploadState {
    pub fn new() -> UploadState {
        UploadState {
            doc_box: RwSignal::new("InboxIn".to_string()),
            picked: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }
}

#[component]
pub fn UploadForm(organisation: OrganisationId, state: UploadState) -> impl IntoView {
    let session = use_session();
    let UploadState {
        doc_box,
        picked,
        notice,
    } = state;

    let on_file = move |ev: leptos::ev::Event| {
        notice.set(None);
        let file = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        match file {
            None => picked.set(None),
            Some(file) => leptos::task::spawn_local(async move {
                picked.set(Some(read_file(file).await));
            }),
        }
    };

    // The command the upload would be, read from the file, and its preview.
    let prepared = move || {
        let signed_in = session.signed_in()?;
        let file = match picked.get()? {
            Ok(file) => file,
            Err(message) => return Some(Err(message)),
        };
        let prepared = upload_command(
            organisation,
            box_of(&doc_box.get()),
            file.name.clone(),
            &file.bytes,
        );
        Some(match prepared {
            Err(error) => Err(format!(
                "{error} This box takes Peppol invoices and credit notes only."
            )),
            Ok((command, findings)) => {
                let ctx = Context::deterministic(now(), signed_in.world.version() as u128);
                let shown = preview(
                    &signed_in.world,
                    &Actor::user(signed_in.me.id),
                    command,
                    &ctx,
                );
                Ok((signed_in.world.clone(), shown, findings, file))
            }
        })
    };

    let send = Action::new_local(move |_: &()| {
        let file = untrack(move || picked.get().and_then(Result::ok));
        let chosen = box_of(&doc_box.get_untracked());
        async move {
            let Some(file) = file else { return };
            match session
                .upload(organisation, chosen, file.name.clone(), file.bytes)
                .await
            {
                Ok((document, findings)) => {
                    let mut message = format!("Uploaded {}.", file.name);
                    if !findings.is_empty() {
                        let rules: Vec<_> = findings.iter().map(|f| f.rule.as_str()).collect();
                        message.push_str(&format!(
                            " Kept, but its figures break {}.",
                            rules.join(", ")
                        ));
                    }
                    notice.set(Some((
                        true,
                        message,
                        Some(format!("/documents/{document}")),
                    )));
                    picked.set(None);
                }
                Err(error) => notice.set(Some((false, error.message(), None))),
            }
        }
    });

    view! {
        <form class="form" data-testid="upload-form" on:submit=|ev| ev.prevent_default()>
            <LabelledSelect id="upload-box" label="Into" value=doc_box on_pick=move |v: String| { notice.set(None); doc_box.set(v); }>
                    <option value="InboxIn">"Received (purchase invoices)"</option>
                <option value="InboxOut">"Sent (sales invoices)"</option>
                <option value="Documents">"Documents (any file)"</option>
                </LabelledSelect>
            <label for="upload-file">"File"</label>
            <input id="upload-file" type="file" data-testid="upload-file" on:change=on_file/>
        </form>
        {move || match prepared() {
            None => view! { <p class="hint">"Choose a file to see what the upload would do."</p> }.into_any(),
            Some(Err(message)) => view! {
                <p class="notice warning" role="alert" data-testid="upload-unreadable">{message}</p>
            }
            .into_any(),
            Some(Ok((world, shown, findings, file))) => {
                let allowed = shown.allowed;
                let read = if findings.is_empty() {
                    format!("{}: {} bytes, read.", file.name, file.bytes.len())
                } else {
                    let rules: Vec<_> = findings.iter().map(|f| format!("{} ({})", f.rule, f.message)).collect();
                    format!("{}: its figures break {}; it will be kept and flagged.", file.name, rules.join("; "))
                };
                view! {
                    <p class="hint" data-testid="upload-read">{read}</p>
                    <PreviewPanel preview=shown world/>
                    <button
                        type="button"
                        class="primary"
                        data-testid="upload-submit"
                        disabled=move || !allowed || send.pending().get()
                        on:click=move |_| { send.dispatch(()); }
                    >
                        {move || if send.pending().get() { "Uploading…" } else { "Upload" }}
                    </button>
                }
                .into_any()
            }
        }}
        {move || notice.get().map(|(ok, message, link)| {
            let class = if ok { "notice success" } else { "notice warning" };
            view! {
                <p class=class role="status" data-testid="upload-notice">
                    {message} " "
                    {link.map(|href| view! { <A href=href>"Open it"</A> })}
                </p>
            }
        })}
    }
}
