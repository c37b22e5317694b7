//! The rules for what a person sends: a message body and the client's own id
//! for it.

use super::BODY_MAX_CHARS;
use crate::error::FieldError;

/// A message body: at most 4,000 characters, line breaks and tabs kept
/// (`\r\n` and lone `\r` become `\n`), no other control characters, and not
/// blank — where invisible characters (zero-width spaces, joiners, fillers)
/// count as blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

/// Characters that show nothing: a body of only these (and whitespace) is blank.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

impl Body {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        if let Some(bad) = normalised
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(FieldError::new(
                "body",
                format!(
                    "Messages can't contain control characters (found U+{:04X}).",
                    bad as u32
                ),
            ));
        }
        let body = normalised.trim_end();
        let body = body.trim_start_matches('\n');
        if body.chars().all(is_invisible) {
            return Err(FieldError::new("body", "Type a message first."));
        }
        let chars = body.chars().count();
        if chars > BODY_MAX_CHARS {
            return Err(FieldError::new(
                "body",
                format!(
                    "Messages can be at most {BODY_MAX_CHARS} characters (this one has {chars})."
                ),
            ));
        }
        Ok(Self(body.to_owned()))
    }

    /// No text: for a message of files alone.
    pub fn empty() -> Self {
        Self(String::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The sender's own id for a message, so a retried send is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (8..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "client_id",
                "Use 8 to 64 letters, digits, '-' or '_'.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_messages_are_refused() {
        for raw in ["", "   ", "\n\n\t "] {
            assert_eq!(Body::parse(raw).unwrap_err().field, "body");
        }
    }

    #[test]
    fn control_characters_are_refused_but_newlines_and_tabs_kept() {
        for raw in [
            "a\0b",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            let err = Body::parse(raw).unwrap_err();
            assert_eq!(err.field, "body");
            assert!(err.message.contains("control"), "{raw:?}: {}", err.message);
        }
        assert_eq!(Body::parse("a\tb\r\nc\rd").unwrap().as_str(), "a\tb\nc\nd");
    }

    #[test]
    fn invisible_characters_alone_count_as_blank() {
        for raw in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{FEFF} ",
            "\u{3164}",
            "\u{2800}\n\u{2060}",
        ] {
            assert_eq!(
                Body::parse(raw).unwrap_err().message,
                "Type a message first.",
                "{raw:?}"
            );
        }
        assert!(
            Body::parse("a\u{200B}").is_ok(),
            "visible text with a joiner is fine"
        );
    }

    #[test]
    fn line_breaks_inside_a_message_are_kept() {
        assert_eq!(
            Body::parse("\nhello\n  world  \n").unwrap().as_str(),
            "hello\n  world"
        );
        assert_eq!(Body::parse("  indented").unwrap().as_str(), "  indented");
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        assert!(Body::parse(&"é".repeat(BODY_MAX_CHARS)).is_ok());
        let err = Body::parse(&"x".repeat(BODY_MAX_CHARS + 1)).unwrap_err();
        assert!(err.message.contains("4000"), "{}", err.message);
    }

    #[test]
    fn client_ids_are_short_safe_tokens() {
        assert!(ClientId::parse("0f8e2c1a-77aa-4c5e-9d2b-3e4f5a6b7c8d").is_ok());
        assert!(ClientId::parse("short").is_err());
        assert!(ClientId::parse("has space in it").is_err());
        assert!(ClientId::parse(&"a".repeat(65)).is_err());
    }
}
