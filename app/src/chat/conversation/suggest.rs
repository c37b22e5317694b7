//! Completing `@mentions` in the composer: while the caret is just after
//! `@` and part of a name, up to 8 members whose name starts with it are
//! offered (`/api/mention_candidates`); ArrowUp/ArrowDown move, Enter or Tab
//! takes one, Escape closes the list.

use leptos::{prelude::*, task::spawn_local};

use crate::chat::{api::mention_candidates, mentions::typing_at};

/// The open list: where the `@` is, what was typed after it, the members
/// offered and which one is highlighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub start: usize,
    pub typed: String,
    pub names: Vec<String>,
    pub active: usize,
}

impl Offer {
    /// `text` with the name after the `@` (as much of one as is there now)
    /// replaced by the chosen name and a space; and where the caret goes (a
    /// byte offset).
    pub fn accept(&self, text: &str) -> (String, usize) {
        let name = &self.names[self.active.min(self.names.len() - 1)];
        let after = text.get(self.start + 1..).unwrap_or_default();
        let run = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(after.len());
        let end = self.start + 1 + run;
        let mut out = String::with_capacity(text.len() + name.len() + 2);
        out.push_str(&text[..self.start]);
        out.push('@');
        out.push_str(name);
        out.push(' ');
        let caret = out.len();
        out.push_str(text.get(end..).unwrap_or_default());
        (out, caret)
    }

    /// Moves the highlight by `by`, wrapping around.
    pub fn step(&mut self, by: i32) {
        let n = self.names.len() as i32;
        if n > 0 {
            self.active = (self.active as i32 + by).rem_euclid(n) as usize;
        }
    }
}

/// The byte offset of a caret given in UTF-16 code units (what the DOM's
/// `selectionStart` counts).
pub fn caret_in_bytes(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 offset of byte offset `bytes` (to put the caret back).
pub fn caret_in_utf16(text: &str, bytes: usize) -> u32 {
    text[..bytes.min(text.len())].encode_utf16().count() as u32
}

/// The name being completed, as last typed: an answer for anything else
/// (typing moved on while it was on its way) is dropped.
pub type Latest = StoredValue<Option<(usize, String)>>;

/// Looks up members for the name being typed at `caret` (a byte offset) in
/// `text`, and opens (or closes) `offer` with them — unless typing moved on
/// meanwhile (`latest`).
pub fn look_up(
    conversation_id: Option<i32>,
    text: String,
    caret: usize,
    offer: RwSignal<Option<Offer>>,
    latest: Latest,
) {
    let (Some(conversation_id), Some((start, typed))) = (conversation_id, typing_at(&text, caret))
    else {
        latest.set_value(None);
        offer.set(None);
        return;
    };
    let typed = typed.to_owned();
    let asked = Some((start, typed.clone()));
    latest.set_value(asked.clone());
    spawn_local(async move {
        let names = mention_candidates(conversation_id, typed.clone())
            .await
            .unwrap_or_default();
        if latest.try_with_value(|l| *l == asked) != Some(true) {
            return;
        }
        offer.try_set((!names.is_empty()).then_some(Offer {
            start,
            typed,
            names,
            active: 0,
        }));
    });
}

/// The list of members offered, under the composer.
#[component]
pub fn Suggestions(
    offer: RwSignal<Option<Offer>>,
    #[prop(into)] pick: Callback<usize>,
) -> impl IntoView {
    move || {
        offer.get().map(|o| {
            view! {
                <ul class="suggestions" role="listbox" id="mention-options" aria-label="Mention someone">
                    {o.names.into_iter().enumerate().map(|(i, name)| {
                        let active = i == o.active;
                        view! {
                            <li
                                role="option"
                                id=format!("mention-option-{i}")
                                aria-selected=active.to_string()
                                class:active=active
                                // Keep the focus in the text box.
                                on:mousedown=move |ev| { ev.prevent_default(); pick.run(i); }
                            >{format!("@{name}")}</li>
                        }
                    }).collect_view()}
                </ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(start: usize, typed: &str, names: &[&str]) -> Offer {
        Offer {
            start,
            typed: typed.into(),
            names: names.iter().map(|s| s.to_string()).collect(),
            active: 0,
        }
    }

    #[test]
    fn accepting_replaces_the_typed_part_and_keeps_the_rest() {
        let (text, caret) = offer(3, "bo", &["bob"]).accept("hi @bo, see this");
        assert_eq!(text, "hi @bob , see this");
        assert_eq!(&text[..caret], "hi @bob ");
    }

    #[test]
    fn accepting_replaces_all_of_the_name_typed_so_far() {
        // An offer made for "@bo" while "@bobm" is in the box by now.
        let (text, _) = offer(3, "bo", &["bob"]).accept("hi @bobm");
        assert_eq!(text, "hi @bob ");
    }

    #[test]
    fn the_highlight_wraps_around() {
        let mut o = offer(0, "", &["amy", "bob", "cyd"]);
        o.step(-1);
        assert_eq!(o.active, 2);
        o.step(1);
        assert_eq!(o.active, 0);
    }

    #[test]
    fn carets_convert_between_utf16_and_bytes() {
        let text = "é😀 @a";
        let bytes = caret_in_bytes(text, 5);
        assert_eq!(&text[..bytes], "é😀 @");
        assert_eq!(caret_in_utf16(text, bytes), 5);
    }
}
