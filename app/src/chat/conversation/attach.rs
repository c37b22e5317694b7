//! Attaching files in the composer: the paperclip, dropping files on the
//! conversation, pasting (a screenshot from the clipboard). Each file
//! uploads at once (`POST /api/upload`, with a progress bar and Cancel); a
//! failure says why and offers Retry. The message goes out with the files
//! that finished, and Send waits while any is still uploading.

use leptos::prelude::*;

use crate::chat::model::{Attachment, UploadLimits};

/// Where one upload stands.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// Sent so far, in thousandths (an integer: the bar's value is written
    /// without float formatting, which the bundle does not carry).
    Uploading(u16),
    Done(Attachment),
    Failed(String),
}

/// One file being attached.
#[derive(Clone)]
pub struct Upload {
    pub key: u32,
    pub name: String,
    pub stage: RwSignal<Stage>,
    #[cfg(feature = "hydrate")]
    file: send_wrapper::SendWrapper<web_sys::File>,
    #[cfg(feature = "hydrate")]
    request: StoredValue<Option<send_wrapper::SendWrapper<web_sys::XmlHttpRequest>>>,
}

/// The composer's attachments.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy)]
pub struct Attachments {
    pub list: RwSignal<Vec<Upload>>,
    next: StoredValue<u32>,
    limits: StoredValue<Option<UploadLimits>>,
}

impl Attachments {
    pub fn new() -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
            limits: StoredValue::new(None),
        }
    }

    /// Some file is still on its way.
    pub fn busy(&self) -> bool {
        self.list.with(|l| {
            l.iter()
                .any(|u| matches!(u.stage.get(), Stage::Uploading(_)))
        })
    }

    /// The files ready to send.
    pub fn ready(&self) -> Vec<Attachment> {
        self.list.with_untracked(|l| {
            l.iter()
                .filter_map(|u| match u.stage.get_untracked() {
                    Stage::Done(a) => Some(a),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn clear(&self) {
        self.list.set(Vec::new());
    }

    /// Stops (if running) and forgets one upload.
    pub fn remove(&self, key: u32) {
        self.list.update(|l| {
            #[cfg(feature = "hydrate")]
            if let Some(u) = l.iter().find(|u| u.key == key)
                && let Some(r) = u.request.get_value()
            {
                let _ = r.abort();
            }
            l.retain(|u| u.key != key);
        });
    }

    /// Starts uploading `files` to `conversation_id`.
    #[cfg(feature = "hydrate")]
    pub fn add(&self, conversation_id: i32, files: Vec<web_sys::File>) {
        let this = *self;
        leptos::task::spawn_local(async move {
            if this.limits.get_value().is_none()
                && let Ok(l) = crate::chat::message_api::fetch_upload_limits().await
            {
                this.limits.set_value(Some(l));
            }
            for file in files {
                let key = this.next.get_value();
                this.next.set_value(key + 1);
                let name = match file.name() {
                    n if n.is_empty() => "pasted image.png".to_owned(),
                    n => n,
                };
                let upload = Upload {
                    key,
                    name,
                    stage: RwSignal::new(Stage::Uploading(0)),
                    file: send_wrapper::SendWrapper::new(file),
                    request: StoredValue::new(None),
                };
                this.list.update(|l| l.push(upload.clone()));
                this.start(conversation_id, &upload);
            }
        });
    }

    /// Sends one file again after a failure.
    #[cfg(feature = "hydrate")]
    pub fn retry(&self, conversation_id: i32, key: u32) {
        if let Some(u) = self
            .list
            .with_untracked(|l| l.iter().find(|u| u.key == key).cloned())
        {
            u.stage.set(Stage::Uploading(0));
            self.start(conversation_id, &u);
        }
    }

    #[cfg(feature = "hydrate")]
    fn start(&self, conversation_id: i32, upload: &Upload) {
        use wasm_bindgen::{JsCast, closure::Closure};
        let stage = upload.stage;
        let size = upload.file.size() as u64;
        if let Some(l) = self.limits.get_value() {
            let too_large = size > l.max_bytes;
            let full = l.used_bytes + size > l.quota_bytes;
            if too_large || full {
                let mib = crate::sizes::bytes_text;
                stage.set(Stage::Failed(if too_large {
                    format!("Too large: files can be at most {}.", mib(l.max_bytes))
                } else {
                    format!(
                        "Your storage is full ({} of {} used).",
                        mib(l.used_bytes),
                        mib(l.quota_bytes)
                    )
                }));
                return;
            }
        }
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            stage.set(Stage::Failed("This browser cannot upload files.".into()));
            return;
        };
        let url = format!(
            "/api/upload?conversation_id={conversation_id}&name={}",
            String::from(js_sys::encode_uri_component(&upload.name))
        );
        if xhr.open("POST", &url).is_err() {
            stage.set(Stage::Failed("The upload could not start.".into()));
            return;
        }
        let _ = xhr.set_request_header("Accept", "application/json");
        if let Ok(up) = xhr.upload() {
            let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(
                move |e: web_sys::ProgressEvent| {
                    if e.length_computable() && e.total() > 0.0 {
                        let _ = stage
                            .try_set(Stage::Uploading((e.loaded() / e.total() * 1000.0) as u16));
                    }
                },
            );
            up.set_onprogress(Some(progress.as_ref().unchecked_ref()));
            progress.forget();
        }
        let done = {
            let xhr = xhr.clone();
            Closure::<dyn FnMut()>::new(move || {
                let text = xhr.response_text().ok().flatten().unwrap_or_default();
                let next = if xhr.status().unwrap_or(0) == 200 {
                    match serde_json::from_str::<Attachment>(&text) {
                        Ok(a) => Stage::Done(a),
                        Err(_) => Stage::Failed("The server's answer was not understood.".into()),
                    }
                } else {
                    Stage::Failed(
                        serde_json::from_str::<crate::error::AppError>(&text)
                            .map(|e| e.field_message("file").unwrap_or_else(|| e.to_string()))
                            .unwrap_or_else(|_| "The upload failed.".into()),
                    )
                };
                let _ = stage.try_set(next);
            })
        };
        xhr.set_onload(Some(done.as_ref().unchecked_ref()));
        done.forget();
        let lost = Closure::<dyn FnMut()>::new(move || {
            let _ = stage.try_set(Stage::Failed("The connection was lost.".into()));
        });
        xhr.set_onerror(Some(lost.as_ref().unchecked_ref()));
        lost.forget();
        if xhr.send_with_opt_blob(Some(&upload.file)).is_err() {
            stage.set(Stage::Failed("The upload could not start.".into()));
            return;
        }
        upload
            .request
            .set_value(Some(send_wrapper::SendWrapper::new(xhr)));
    }
}

/// The files being attached, above the text box.
#[component]
pub fn AttachmentList(
    attachments: Attachments,
    conversation_id: Signal<Option<i32>>,
) -> impl IntoView {
    view! {
        <ul class="uploads" aria-label="Attachments">
            <For each=move || attachments.list.get() key=|u| u.key let:u>
                {
                    let (key, name, stage) = (u.key, u.name.clone(), u.stage);
                    let label = name.clone();
                    view! {
                        <li class="upload">
                            <span class="upload-name">{name}</span>
                            {move || match stage.get() {
                                Stage::Uploading(p) => view! {
                                    <progress max="1000" value=p aria-label=format!("Uploading {label}")></progress>
                                    <button type="button" class="link" on:click=move |_| attachments.remove(key)>"Cancel"</button>
                                }.into_any(),
                                Stage::Done(a) => view! {
                                    <span class="upload-size">{a.size_text()}</span>
                                    <button type="button" class="link" on:click=move |_| attachments.remove(key)>"Remove"</button>
                                }.into_any(),
                                Stage::Failed(why) => view! {
                                    <span class="form-error" role="alert">{why}</span>
                                    <button type="button" class="link" on:click=move |_| {
                                        #[cfg(feature = "hydrate")]
                                        if let Some(c) = conversation_id.get_untracked() { attachments.retry(c, key); }
                                        #[cfg(not(feature = "hydrate"))]
                                        let _ = conversation_id;
                                    }>"Retry"</button>
                                    <button type="button" class="link" on:click=move |_| attachments.remove(key)>"Remove"</button>
                                }.into_any(),
                            }}
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
