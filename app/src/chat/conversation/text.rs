//! A message's text as shown: plain text (never markup) with the members it
//! mentions highlighted — more strongly where it is the reader.

use leptos::prelude::*;

use crate::chat::mentions::{Segment, segments};

#[component]
pub fn MessageText(body: String, mentions: Vec<String>, me: String) -> impl IntoView {
    segments(&body, &mentions, &me)
        .into_iter()
        .map(|s| match s {
            Segment::Text(t) => view! { <span>{t.to_owned()}</span> }.into_any(),
            Segment::Mention { text, me } => {
                view! { <span class="mention" class:me=me>{text.to_owned()}</span> }.into_any()
            }
        })
        .collect_view()
}
