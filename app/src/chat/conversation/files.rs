//! A message's files: images as thumbnails in a fixed box (keeping their
//! aspect) that open full size in a viewer (Escape or Close shuts it,
//! focus goes to Close), other files as a download with name, size and type.

use leptos::{html, prelude::*};

use crate::chat::model::Attachment;

#[component]
pub fn MessageFiles(files: Vec<Attachment>) -> impl IntoView {
    let open = RwSignal::new(None::<Attachment>);
    let items = files
        .into_iter()
        .map(|a| {
            if a.thumb {
                let shown = a.clone();
                let (w, h) = fit(a.width.unwrap_or(1), a.height.unwrap_or(1));
                view! {
                    <button type="button" class="thumb" aria-label=format!("Open image {}", a.name) on:click=move |_| open.set(Some(shown.clone()))>
                        <img src=a.thumb_url() alt=a.name.clone() width=w height=h loading="lazy" />
                    </button>
                }
                .into_any()
            } else {
                view! {
                    <a class="file" href=a.url() download=a.name.clone()>
                        <span class="file-name">{a.name.clone()}</span>
                        <span class="file-meta">{format!("{} · {}", a.size_text(), a.mime)}</span>
                    </a>
                }
                .into_any()
            }
        })
        .collect_view();
    view! {
        <div class="files">{items}</div>
        {move || open.get().map(|a| view! { <Viewer image=a open=open /> })}
    }
}

/// The box thumbnails are shown in, at most.
const BOX_W: u32 = 320;
const BOX_H: u32 = 240;

/// An image's shown size inside the box, keeping its aspect.
fn fit(width: u32, height: u32) -> (u32, u32) {
    let scale = (f64::from(BOX_W) / f64::from(width.max(1)))
        .min(f64::from(BOX_H) / f64::from(height.max(1)))
        .min(1.0);
    (
        ((f64::from(width) * scale).round() as u32).max(1),
        ((f64::from(height) * scale).round() as u32).max(1),
    )
}

#[component]
fn Viewer(image: Attachment, open: RwSignal<Option<Attachment>>) -> impl IntoView {
    let close: NodeRef<html::Button> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = close.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div
            class="viewer"
            role="dialog"
            aria-modal="true"
            aria-label=image.name.clone()
            on:keydown=move |ev| if ev.key() == "Escape" { ev.prevent_default(); open.set(None); }
            on:click=move |_| open.set(None)
        >
            <img src=image.url() alt=image.name.clone() on:click=|ev| ev.stop_propagation() />
            <div class="viewer-bar" on:click=|ev| ev.stop_propagation()>
                <span>{image.name.clone()}</span>
                <a href=image.url() download=image.name.clone()>"Download"</a>
                <button type="button" node_ref=close on:click=move |_| open.set(None)>"Close"</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn thumbnails_fit_the_box_and_keep_their_aspect() {
        assert_eq!(fit(1200, 600), (320, 160));
        assert_eq!(fit(600, 1200), (120, 240));
        assert_eq!(fit(100, 50), (100, 50));
    }
}
