//! `/admin/files`: what each person stores, and the largest files, each of
//! which can be removed (its message shows without it for everyone; the
//! audit log records it).

use leptos::prelude::*;

use super::{ConfirmButton, Outcome, OutcomeLine, run, when};
use crate::{
    admin::api::{admin_delete_file, admin_files},
    sizes::bytes_text,
};

#[component]
pub fn FilesPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let outcome = RwSignal::new(Outcome::Idle);
    let list = Resource::new(move || version.get(), |_| admin_files());
    let remove = move |id: String, name: String| {
        run(outcome, admin_delete_file(id), move |()| {
            version.update(|v| *v += 1);
            format!("{name} removed.")
        });
    };
    view! {
        <h1>"Files"</h1>
        <OutcomeLine outcome=outcome />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(s) if s.people.is_empty() => view! { <p class="muted">"No files yet."</p> }.into_any(),
                    Ok(s) => view! {
                        <h2>"Storage by person"</h2>
                        <table class="admin-table" aria-label="Storage by person">
                            <thead><tr><th>"Person"</th><th>"Files"</th><th>"Stored"</th></tr></thead>
                            <tbody>
                                {s.people.into_iter().map(|p| view! {
                                    <tr><td>{p.username}</td><td>{p.files}</td><td>{bytes_text(p.bytes)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>"Largest files"</h2>
                        <table class="admin-table" aria-label="Largest files">
                            <thead><tr><th>"File"</th><th>"From"</th><th>"Size"</th><th>"Type"</th><th>"Uploaded"</th><th></th></tr></thead>
                            <tbody>
                                {s.largest.into_iter().map(|f| {
                                    let (id, name) = (f.id.clone(), f.name.clone());
                                    view! {
                                        <tr>
                                            <td>{f.name.clone()}{(!f.sent).then(|| view! { " " <span class="tag">"not sent"</span> })}</td>
                                            <td>{f.uploader}</td>
                                            <td>{bytes_text(f.size)}</td>
                                            <td>{f.mime}</td>
                                            <td>{when(f.created_at)}</td>
                                            <td>
                                                <ConfirmButton label="Remove" question=format!("Remove {}?", f.name)
                                                    confirm="Yes, remove" on_confirm=move |_| remove(id.clone(), name.clone()) />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
