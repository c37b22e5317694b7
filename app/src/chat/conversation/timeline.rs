//! How the history is laid out: runs of one sender's messages (their name
//! once, tighter spacing) and day separators ("Today", "Yesterday", a date)
//! in the reader's own time zone.
//!
//! Runs are the same on the server and in the browser. Days depend on the
//! reader's time zone, which only the browser knows: they appear once the
//! page has hydrated, so the server's HTML and the hydrated page agree.

use crate::chat::{
    model::Message,
    state::{IdMap, IdSet},
};

/// A message continues its sender's run when it follows theirs within this.
pub const RUN_GAP_MS: i64 = 5 * 60_000;

/// Ids of the messages that continue the run of the message before them.
pub fn runs(messages: &[Message]) -> IdSet<i64> {
    messages
        .windows(2)
        .filter(|w| {
            let (a, b) = (&w[0], &w[1]);
            !a.system
                && !b.system
                && a.sender_id == b.sender_id
                && b.created_at - a.created_at < RUN_GAP_MS
        })
        .map(|w| w[1].id)
        .collect()
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
/// Ids of the messages that start a day (`day_of`: a day number of an
/// instant), with the instant whose day names the separator.
pub fn day_starts(messages: &[Message], day_of: impl Fn(i64) -> i64) -> Vec<(i64, i64)> {
    let mut last = None;
    let mut out = Vec::new();
    for m in messages {
        let day = day_of(m.created_at);
        if last != Some(day) {
            out.push((m.id, m.created_at));
            last = Some(day);
        }
    }
    out
}

/// The separators before messages, by id, labelled in the reader's time
/// zone (empty outside the browser).
pub fn days(messages: &[Message]) -> IdMap<i64, String> {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::now();
        let today = local_day(now as i64);
        day_starts(messages, local_day)
            .into_iter()
            .map(|(id, at)| {
                let day = local_day(at);
                let label = match today - day {
                    0 => "Today".to_owned(),
                    1 => "Yesterday".to_owned(),
                    _ => long_date(at, same_year(at, now as i64)),
                };
                (id, label)
            })
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = messages;
        IdMap::new()
    }
}

/// Days since the epoch of an instant's local date.
#[cfg(feature = "hydrate")]
fn local_day(ms: i64) -> i64 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    crate::dates::days_from_civil(
        i64::from(d.get_full_year()),
        d.get_month() + 1,
        d.get_date(),
    )
}

#[cfg(feature = "hydrate")]
fn same_year(a: i64, b: i64) -> bool {
    let year =
        |ms: i64| js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_full_year();
    year(a) == year(b)
}

/// "Monday 23 November" (with the year when it is not this one), in the
/// browser's language.
#[cfg(feature = "hydrate")]
fn long_date(ms: i64, this_year: bool) -> String {
    use wasm_bindgen::JsValue;
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v));
    };
    set("weekday", "long");
    set("day", "numeric");
    set("month", "long");
    if !this_year {
        set("year", "numeric");
    }
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(d.to_locale_date_string("default", &options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::DAY_MS;

    fn m(id: i64, sender: i32, at: i64) -> Message {
        Message {
            id,
            sender_id: sender,
            created_at: at,
            ..Default::default()
        }
    }

    #[test]
    fn a_run_is_one_senders_messages_close_together() {
        let minute = 60_000;
        let list = [
            m(1, 7, 0),
            m(2, 7, minute),
            m(3, 8, 2 * minute),
            m(4, 8, 3 * minute),
            m(5, 8, 3 * minute + RUN_GAP_MS),
            Message {
                system: true,
                ..m(6, 8, 4 * minute + RUN_GAP_MS)
            },
            m(7, 8, 5 * minute + RUN_GAP_MS),
        ];
        assert_eq!(runs(&list), IdSet::from_iter([2, 4]));
    }

    #[test]
    fn each_day_starts_with_its_first_message() {
        let utc = |ms: i64| ms.div_euclid(DAY_MS);
        let list = [
            m(1, 1, 10),
            m(2, 1, 20),
            m(3, 1, DAY_MS + 5),
            m(4, 1, 3 * DAY_MS),
        ];
        assert_eq!(
            day_starts(&list, utc),
            vec![(1, 10), (3, DAY_MS + 5), (4, 3 * DAY_MS)]
        );
        assert!(day_starts(&[], utc).is_empty());
    }
}
