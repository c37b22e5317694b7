//! What a room's name and topic may be.

use crate::error::FieldError;

pub const NAME_MAX: usize = 80;

pub const TOPIC_MAX: usize = 250;

/// People named at once (creating a room, adding members), at most.
pub const FIRST_MEMBERS_MAX: usize = 100;

/// A room's name: trimmed, 1 to 80 characters, no control characters.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "Give the room a name."));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "Names are one line of text."));
    }
    let n = name.chars().count();
    if n > NAME_MAX {
        return Err(FieldError::new(
            "name",
            format!("Names can be at most {NAME_MAX} characters (this one has {n})."),
        ));
    }
    Ok(name.to_owned())
}

/// A room's topic: trimmed, at most 250 characters, one line (may be empty).
pub fn parse_topic(raw: &str) -> Result<String, FieldError> {
    let topic = raw.trim();
    if topic.chars().any(char::is_control) {
        return Err(FieldError::new("topic", "The topic is one line of text."));
    }
    let n = topic.chars().count();
    if n > TOPIC_MAX {
        return Err(FieldError::new(
            "topic",
            format!("Topics can be at most {TOPIC_MAX} characters (this one has {n})."),
        ));
    }
    Ok(topic.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_one_short_line() {
        assert_eq!(parse_name("  general ").unwrap(), "general");
        assert_eq!(parse_name("   ").unwrap_err().field, "name");
        assert!(parse_name("a\nb").is_err());
        assert!(parse_name(&"x".repeat(NAME_MAX)).is_ok());
        assert!(
            parse_name(&"x".repeat(NAME_MAX + 1))
                .unwrap_err()
                .message
                .contains("80")
        );
    }

    #[test]
    fn topics_may_be_empty_but_not_long_or_multiline() {
        assert_eq!(parse_topic("").unwrap(), "");
        assert!(parse_topic("line\nbreak").is_err());
        assert!(parse_topic(&"é".repeat(TOPIC_MAX)).is_ok());
        assert_eq!(
            parse_topic(&"x".repeat(TOPIC_MAX + 1)).unwrap_err().field,
            "topic"
        );
    }
}
