//! Property tests of the pure parsers every request goes through: whatever
//! the input, they return a value or a field error — never a panic — and what
//! they accept keeps their promises. (`server/tests/fuzz.rs` does the same
//! against a running server.) `PROPTEST_CASES=100000 cargo test -p app
//! parser_props` runs them longer.

use proptest::prelude::*;

use crate::{
    auth::rules::NewAccount,
    chat::model::{BODY_MAX_CHARS, Body, ClientFrame, ClientId, Event, Incoming, Message},
};

proptest! {
    #[test]
    fn a_body_is_accepted_only_when_it_keeps_the_rules(raw in any::<String>()) {
        if let Ok(body) = Body::parse(&raw) {
            let text = body.as_str();
            prop_assert!(text.chars().count() <= BODY_MAX_CHARS);
            prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
            prop_assert!(!text.trim().is_empty());
            prop_assert!(!text.contains('\r'));
        }
    }

    #[test]
    fn client_ids_are_exactly_the_short_safe_tokens(raw in "[a-zA-Z0-9_\\- é]{0,70}") {
        let safe = (8..=64).contains(&raw.len())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        prop_assert_eq!(ClientId::parse(&raw).is_ok(), safe);
    }

    #[test]
    fn any_socket_frame_decodes_or_is_ignored(raw in any::<String>()) {
        let _ = serde_json::from_str::<ClientFrame>(&raw);
    }

    #[test]
    fn send_frames_with_any_strings_decode_to_the_same_strings(
        to in any::<String>(), body in any::<String>(), client_id in any::<String>()
    ) {
        let json = serde_json::json!({"type": "send", "to": to, "body": body, "client_id": client_id});
        let frame: ClientFrame = serde_json::from_value(json).unwrap();
        prop_assert_eq!(frame, ClientFrame::Send { to: Some(to), conversation_id: None, body, client_id, reply_to: None, attachments: Vec::new() });
    }

    #[test]
    fn message_events_round_trip_through_json(
        id in any::<i64>(), sender in any::<i32>(), body in any::<String>(), at in any::<i64>(),
        conversation_id in any::<i32>(), system in any::<bool>(), event_id in any::<Option<i64>>()
    ) {
        let event = Event::Message { message: Message {
            id, conversation_id, sender_id: sender, system,
            body, client_id: "c-00000001".into(), created_at: at,
            sender_name: String::new(), mentions: Vec::new(), edited_at: None, deleted: false,
            html: "<p>x</p>".into(), reply: None, reactions: Vec::new(), attachments: Vec::new(),
        }};
        let json = serde_json::to_string(&event).unwrap();
        prop_assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event.clone());
        // As the server frames it: a logged event's `event_id` first, then
        // the event's own object, `"type"` first (see `crate::wire`).
        let framed = match event_id {
            Some(id) => format!("{{\"event_id\":{id},{}", &json[1..]),
            None => json.clone(),
        };
        prop_assert_eq!(Incoming::parse(&framed).unwrap(), Incoming { event_id, event });
    }

    #[test]
    fn sign_up_input_never_panics(
        username in any::<String>(), email in any::<String>(), password in any::<String>()
    ) {
        let _ = NewAccount::parse(&username, &email, &password, &password);
    }
}
