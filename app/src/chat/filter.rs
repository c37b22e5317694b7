//! The sidebar's filter: a name is shown when it contains what was typed,
//! ignoring case. Names are Unicode (rooms are named freely), so case is
//! folded with Unicode's rules: in the browser by its own `toLowerCase`,
//! which keeps Rust's case tables out of the bundle, and by Rust's
//! `to_lowercase` elsewhere. Both apply Unicode's default case mapping.

/// A name as the filter compares it.
pub fn key(name: &str) -> String {
    lower(name)
}

/// Whether a name whose `key` is `key` is shown while `typed` is in the filter.
pub fn shows(key: &str, typed: &str) -> bool {
    key.contains(&lower(typed.trim()))
}

fn lower(text: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        js_sys::JsString::from(text).to_lower_case().into()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        text.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::{key, shows};

    #[test]
    fn names_match_what_was_typed_in_any_case() {
        assert!(shows(&key("Design Review"), "  design "));
        assert!(shows(&key("ÉQUIPE Café"), "équipe ca"));
        assert!(shows(&key("anna"), ""));
        assert!(!shows(&key("anna"), "bob"));
    }
}
