//! `@username` mentions in a message body: where they are, for the server
//! (which names to look up among the conversation's members) and for the
//! browser (which parts of a body to highlight). One tokenizer serves both,
//! so what the server counts as a mention is exactly what the reader sees
//! highlighted.
//!
//! A mention is `@` at the start or after a character that cannot be part of
//! a name or an address (so `amy@example.com` is not one), followed by a
//! username's characters (letters, digits, `_`, `.`, `-`). Sentence
//! punctuation after a name (`@amy.`, `@bob-`) is not part of it unless the
//! longer name is the one mentioned.

use crate::auth::rules::USERNAME_MAX;

/// Distinct names looked up per message, at most.
pub const MAX_PER_MESSAGE: usize = 50;

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// One `@name` run: its byte range in the body (the `@` included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: usize,
    end: usize,
}

fn runs(body: &str) -> impl Iterator<Item = Run> + '_ {
    let mut prev: Option<char> = None;
    body.char_indices().filter_map(move |(i, c)| {
        let after = prev;
        prev = Some(c);
        if c != '@' || after.is_some_and(|p| name_char(p) || p == '@') {
            return None;
        }
        let rest = &body[i + 1..];
        let len = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        (len > 0).then_some(Run {
            start: i,
            end: i + 1 + len,
        })
    })
}

/// The names a run may mean, longest first: the whole run, then without
/// trailing punctuation.
fn candidates(body: &str, run: Run) -> impl Iterator<Item = (usize, String)> + '_ {
    let whole = &body[run.start + 1..run.end];
    let trimmed = whole.trim_end_matches(['.', '-']);
    let mut names = vec![whole];
    if trimmed != whole && !trimmed.is_empty() {
        names.push(trimmed);
    }
    names
        .into_iter()
        .filter(|n| n.len() <= USERNAME_MAX)
        .map(move |n| (run.start + 1 + n.len(), n.to_ascii_lowercase()))
}

/// The case-folded usernames `body` may mention (for the server to look up
/// among the members), at most `MAX_PER_MESSAGE`.
pub fn names(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in runs(body) {
        for (_, name) in candidates(body, run) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        if out.len() >= MAX_PER_MESSAGE {
            out.truncate(MAX_PER_MESSAGE);
            break;
        }
    }
    out
}

/// A piece of a message body as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// `@name` for someone the message mentions; `me`: the reader.
    Mention {
        text: &'a str,
        me: bool,
    },
}

/// `body` cut into text and the mentions of `mentioned` (usernames, any
/// case); `me` is the reader's username.
pub fn segments<'a>(body: &'a str, mentioned: &[String], me: &str) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    if mentioned.is_empty() {
        out.push(Segment::Text(body));
        return out;
    }
    let mut at = 0;
    for run in runs(body) {
        let hit = candidates(body, run)
            .find(|(_, name)| mentioned.iter().any(|m| m.eq_ignore_ascii_case(name)));
        let Some((end, name)) = hit else { continue };
        if run.start > at {
            out.push(Segment::Text(&body[at..run.start]));
        }
        out.push(Segment::Mention {
            text: &body[run.start..end],
            me: name.eq_ignore_ascii_case(me),
        });
        at = end;
    }
    if at < body.len() {
        out.push(Segment::Text(&body[at..]));
    }
    out
}

/// The partial `@name` just before the caret (`caret`: a byte offset), for
/// suggesting members: its start (the `@`) and the typed part.
pub fn typing_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let typed = &before[at + 1..];
    let prev = before[..at].chars().next_back();
    let ok = typed.chars().all(name_char)
        && typed.len() <= USERNAME_MAX
        && !prev.is_some_and(|p| name_char(p) || p == '@');
    ok.then_some((at, typed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(body: &str, mentioned: &[&str], me: &str) -> Vec<String> {
        let mentioned: Vec<String> = mentioned.iter().map(|s| s.to_string()).collect();
        segments(body, &mentioned, me)
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) => t.to_string(),
                Segment::Mention { text, me: true } => format!("[{text}!]"),
                Segment::Mention { text, .. } => format!("[{text}]"),
            })
            .collect()
    }

    #[test]
    fn names_are_found_after_spaces_and_punctuation_but_not_in_addresses() {
        assert_eq!(names("hi @Amy and (@bob)"), ["amy", "bob"]);
        assert!(names("write to amy@example.com").is_empty());
        assert!(names("@@amy and a lone @ sign").is_empty());
        assert_eq!(names("thanks @cy."), ["cy.", "cy"]);
        assert_eq!(names("@amy @AMY @amy"), ["amy"]);
    }

    #[test]
    fn names_are_capped_per_message() {
        let many: String = (0..200).map(|i| format!("@user{i} ")).collect();
        assert_eq!(names(&many).len(), MAX_PER_MESSAGE);
        assert!(names(&format!("@{}", "a".repeat(USERNAME_MAX + 1))).is_empty());
    }

    #[test]
    fn only_mentioned_members_are_highlighted_and_the_reader_more() {
        assert_eq!(
            shown("hi @amy and @bob, see @nobody", &["amy", "Bob"], "bob"),
            ["hi ", "[@amy]", " and ", "[@bob!]", ", see @nobody"]
        );
        assert_eq!(shown("ok @cy.", &["cy"], "amy"), ["ok ", "[@cy]", "."]);
        assert_eq!(shown("ok @cy.", &["cy."], "amy"), ["ok ", "[@cy.]"]);
        assert_eq!(shown("plain", &[], "amy"), ["plain"]);
        assert_eq!(shown("a@amy", &["amy"], "amy"), ["a@amy"]);
    }

    #[test]
    fn the_name_being_typed_is_found_before_the_caret() {
        assert_eq!(typing_at("hi @am", 6), Some((3, "am")));
        assert_eq!(typing_at("hi @", 4), Some((3, "")));
        assert_eq!(typing_at("hi @am there", 12), None);
        assert_eq!(typing_at("mail amy@ex", 11), None);
        assert_eq!(typing_at("no mention", 10), None);
    }
}
