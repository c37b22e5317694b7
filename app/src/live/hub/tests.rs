//! The hub's own tests: delivery once per socket, presence, slow and
//! capped sockets, sign-out, the order of direct and queued frames, and a
//! delivery to thousands of sockets.

use super::*;

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn sub(hub: &Arc<Hub>, user_id: i32) -> Subscription {
    hub.subscribe(user_id, &format!("session-of-{user_id}"), LOCAL)
        .expect("under the limits")
}

#[tokio::test]
async fn every_socket_of_a_user_gets_the_event_once() {
    let hub = Hub::new();
    let mut a = sub(&hub, 1);
    let mut b = sub(&hub, 1);
    let mut other = sub(&hub, 2);
    hub.deliver(&[1], &Frame::control(&Control::Heartbeat));
    assert_eq!(
        &*a.frames.recv().await.unwrap().text,
        r#"{"type":"heartbeat"}"#
    );
    assert!(b.frames.recv().await.is_some());
    assert!(other.frames.try_recv().is_err());
}

#[tokio::test]
async fn presence_is_announced_once_per_net_change() {
    let hub = Hub::new();
    let mut watcher = sub(&hub, 1);
    let flicker = sub(&hub, 2);
    drop(flicker);
    let _stays = sub(&hub, 3);
    assert_eq!(
        hub.flush_presence(),
        Some(Control::Presence {
            online: vec![1, 3],
            offline: vec![]
        })
    );
    assert!(watcher.frames.recv().await.is_some());
    assert_eq!(hub.flush_presence(), None);
    drop(_stays);
    assert_eq!(
        hub.flush_presence(),
        Some(Control::Presence {
            online: vec![],
            offline: vec![3]
        })
    );
}

#[tokio::test]
async fn a_socket_that_falls_behind_is_dropped_not_buffered() {
    let hub = Hub::new();
    let mut slow = sub(&hub, 7);
    for _ in 0..QUEUE_FRAMES + 1 {
        hub.deliver(&[7], &Frame::control(&Control::Heartbeat));
    }
    assert!(!hub.is_online(7));
    let mut n = 0;
    while slow.frames.recv().await.is_some() {
        n += 1;
    }
    assert_eq!(n, QUEUE_FRAMES, "queue closes after the frames it held");
}

#[tokio::test]
async fn disconnecting_a_user_closes_all_their_sockets() {
    let hub = Hub::new();
    let mut a = sub(&hub, 5);
    let mut b = sub(&hub, 5);
    hub.disconnect(5);
    assert!(a.frames.recv().await.is_none());
    assert!(b.frames.recv().await.is_none());
    assert!(!hub.is_online(5));
}

#[tokio::test]
async fn signing_out_tells_every_socket_then_closes_it() {
    let hub = Hub::new();
    let mut a = sub(&hub, 5);
    let mut b = sub(&hub, 5);
    let mut other = sub(&hub, 6);
    hub.sign_out(5);
    for s in [&mut a, &mut b] {
        let bye = s.frames.recv().await.unwrap();
        assert_eq!(&*bye.text, r#"{"type":"signed_out"}"#);
        assert_eq!(bye.close, Some(close::SIGNED_OUT));
        assert!(s.frames.recv().await.is_none());
    }
    assert!(other.frames.try_recv().is_err());
    assert!(hub.is_online(6));
}

#[tokio::test]
async fn ending_one_session_closes_only_its_sockets() {
    let hub = Hub::new();
    let mut laptop = hub.subscribe(5, "laptop", LOCAL).unwrap();
    let mut phone = hub.subscribe(5, "phone", LOCAL).unwrap();
    hub.end_session(5, "laptop");
    assert_eq!(
        laptop.frames.recv().await.unwrap().close,
        Some(close::SIGNED_OUT)
    );
    assert!(laptop.frames.recv().await.is_none());
    hub.deliver(&[5], &Frame::control(&Control::Heartbeat));
    assert!(phone.frames.recv().await.unwrap().close.is_none());
    assert!(hub.is_online(5));
}

#[tokio::test]
async fn a_user_over_the_socket_cap_loses_their_oldest_socket() {
    let hub = Hub::new();
    let mut subs: Vec<_> = (0..MAX_SOCKETS_PER_USER).map(|_| sub(&hub, 9)).collect();
    let _newest = sub(&hub, 9);
    assert_eq!(hub.connection_count(), MAX_SOCKETS_PER_USER);
    let oldest = &mut subs[0];
    assert_eq!(
        oldest.frames.recv().await.unwrap().close,
        Some(close::TOO_MANY)
    );
    assert!(oldest.frames.recv().await.is_none());
}

/// A socket that records what is written to it directly, and answers
/// as told when nothing is ahead of the frame.
struct Fake {
    written: Mutex<Vec<String>>,
    /// How many frames each direct write took.
    writes: Mutex<Vec<usize>>,
    answer: Mutex<Written>,
}

impl Fake {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            written: Mutex::default(),
            writes: Mutex::default(),
            answer: Mutex::new(Written::Done),
        })
    }
    fn answer(&self, answer: Written) {
        *self.answer.lock().unwrap() = answer;
    }
    fn written(&self) -> Vec<String> {
        self.written.lock().unwrap().clone()
    }
    fn writes(&self) -> Vec<usize> {
        self.writes.lock().unwrap().clone()
    }
}

impl DirectWrite for Fake {
    fn try_write(&self, frames: &[&Arc<Frame>], clear: &dyn Fn() -> bool) -> Written {
        let answer = *self.answer.lock().unwrap();
        if !clear() || answer == Written::Declined {
            return Written::Declined;
        }
        let taken = match answer {
            Written::Stalled { taken } => taken.min(frames.len()),
            _ => frames.len(),
        };
        let mut written = self.written.lock().unwrap();
        written.extend(frames[..taken].iter().map(|f| f.text.to_string()));
        // One entry per call: which frames went out together.
        self.writes.lock().unwrap().push(taken);
        answer
    }
}

fn text(n: i64) -> Frame {
    Frame::logged(n, format!("{n}"))
}

/// The texts waiting in `sub`'s queue, each marked done.
fn drain(sub: &mut Subscription) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(frame) = sub.frames.try_recv() {
        out.push(if frame.flush_only {
            "flush".to_owned()
        } else {
            frame.text.to_string()
        });
        sub.done();
    }
    out
}

/// A socket of `user_id` that has gone live with events up to `after`
/// replayed, and its fake writer.
fn live_sub(hub: &Arc<Hub>, user_id: i32, after: i64) -> (Subscription, Arc<Fake>) {
    let s = sub(hub, user_id);
    let fake = Fake::new();
    s.go_live(fake.clone(), after);
    (s, fake)
}

#[tokio::test]
async fn a_socket_is_written_directly_only_once_live() {
    let hub = Hub::new();
    let mut s = sub(&hub, 1);
    let fake = Fake::new();
    hub.deliver(&[1], &text(1));
    assert_eq!(drain(&mut s), ["1"], "queued before go_live");
    s.go_live(fake.clone(), 1);
    hub.deliver(&[1], &text(2));
    assert_eq!(fake.written(), ["2"]);
    assert!(drain(&mut s).is_empty(), "nothing queued");
}

#[tokio::test]
async fn frames_queue_behind_those_the_task_has_not_written() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 0);
    fake.answer(Written::Declined); // the socket is busy
    hub.deliver(&[1], &text(1));
    fake.answer(Written::Done); // free again, but 1 is still queued
    hub.deliver(&[1], &text(2));
    assert!(fake.written().is_empty(), "nothing overtook 1");
    assert_eq!(drain(&mut s), ["1", "2"]);
    hub.deliver(&[1], &text(3));
    assert_eq!(
        fake.written(),
        ["3"],
        "direct again once the queue is written"
    );
}

#[tokio::test]
async fn a_stalled_write_is_finished_by_the_task_before_anything_else() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 0);
    fake.answer(Written::Stalled { taken: 1 });
    hub.deliver(&[1], &text(1));
    fake.answer(Written::Done);
    hub.deliver(&[1], &text(2));
    assert_eq!(fake.written(), ["1"]);
    assert_eq!(drain(&mut s), ["flush", "2"]);
}

#[tokio::test]
async fn a_stalled_write_to_a_socket_whose_task_is_gone_drops_the_socket() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 0);
    let _other = sub(&hub, 2);
    s.frames.close(); // the task ended: nothing can finish the write
    fake.answer(Written::Stalled { taken: 1 });
    hub.deliver(&[1, 2], &text(1));
    assert_eq!(fake.written(), ["1"]);
    assert_eq!(hub.connection_count(), 1, "only user 2's socket is left");
    assert_eq!(hub.local_online(), [2]);
}

#[tokio::test]
async fn replayed_events_are_not_written_again() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 10);
    hub.deliver(&[1], &text(9));
    hub.deliver(&[1], &text(10));
    hub.deliver(&[1], &text(11));
    assert_eq!(fake.written(), ["11"]);
    assert!(drain(&mut s).is_empty());
}

#[tokio::test]
async fn closing_frames_go_through_the_queue() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 0);
    hub.sign_out(1);
    hub.deliver(&[1], &text(1));
    assert!(fake.written().is_empty());
    let bye = s.frames.recv().await.unwrap();
    assert_eq!(bye.close, Some(close::SIGNED_OUT));
    assert!(s.frames.recv().await.is_none());
}

#[tokio::test]
async fn a_large_delivery_reaches_every_socket_once_in_order() {
    let hub = Hub::new();
    let users: Vec<i32> = (0..5_000).collect();
    let mut live = Vec::new();
    for &user in &users {
        live.push(live_sub(&hub, user, 0));
    }
    hub.deliver(&users, &text(1));
    hub.deliver(&users, &text(2));
    for (s, fake) in &mut live {
        assert_eq!(fake.written(), ["1", "2"]);
        assert!(drain(s).is_empty());
    }
}

#[tokio::test]
async fn one_address_gets_at_most_its_share_of_sockets() {
    let hub = Hub::with_ip_limit(2);
    let a = sub(&hub, 1);
    let _b = sub(&hub, 2);
    assert_eq!(
        hub.subscribe(3, "s", LOCAL).err(),
        Some(Refused::TooManyFromAddress)
    );
    let other: IpAddr = "10.0.0.1".parse().unwrap();
    assert!(
        hub.subscribe(3, "s", other).is_ok(),
        "another address is not affected"
    );
    drop(a);
    assert!(
        hub.subscribe(4, "s", LOCAL).is_ok(),
        "a closed socket frees its slot"
    );
}

#[tokio::test]
async fn a_sockets_frames_of_one_delivery_go_out_in_one_write_in_order() {
    let hub = Hub::new();
    let (mut a, fa) = live_sub(&hub, 1, 0);
    let (mut b, fb) = live_sub(&hub, 2, 0);
    let (one, two, three) = (text(1), text(2), text(3));
    hub.deliver_all(&[(&[1, 2], &one), (&[1], &two), (&[2, 1], &three)]);
    assert_eq!(fa.written(), ["1", "2", "3"]);
    assert_eq!(fa.writes(), [3], "one write for user 1's three frames");
    assert_eq!(fb.written(), ["1", "3"]);
    assert_eq!(fb.writes(), [2]);
    assert!(drain(&mut a).is_empty() && drain(&mut b).is_empty());
}

#[tokio::test]
async fn frames_a_stalled_write_did_not_take_queue_behind_its_flush() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 0);
    fake.answer(Written::Stalled { taken: 1 });
    let (one, two, three) = (text(1), text(2), text(3));
    hub.deliver_all(&[(&[1], &one), (&[1], &two), (&[1], &three)]);
    assert_eq!(fake.written(), ["1"]);
    assert_eq!(drain(&mut s), ["flush", "2", "3"]);
}

#[tokio::test]
async fn a_busy_socket_gets_all_its_frames_queued_in_order() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 0);
    fake.answer(Written::Declined);
    let frames: Vec<Frame> = (1..=5).map(text).collect();
    let deliveries: Vec<(&[i32], &Frame)> = frames.iter().map(|f| (&[1][..], f)).collect();
    hub.deliver_all(&deliveries);
    assert!(fake.written().is_empty());
    assert_eq!(drain(&mut s), ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn replayed_frames_of_a_delivery_are_skipped_and_the_rest_written_together() {
    let hub = Hub::new();
    let (mut s, fake) = live_sub(&hub, 1, 10);
    let frames: Vec<Frame> = (9..=12).map(text).collect();
    let deliveries: Vec<(&[i32], &Frame)> = frames.iter().map(|f| (&[1][..], f)).collect();
    hub.deliver_all(&deliveries);
    assert_eq!(fake.written(), ["11", "12"]);
    assert_eq!(fake.writes(), [2]);
    assert!(drain(&mut s).is_empty());
}

#[test]
fn a_prefetch_of_any_address_is_only_a_hint() {
    // `offer_all` prefetches sockets ahead of the one it writes; a
    // prefetch must never fault, whatever it is pointed at.
    prefetch(std::ptr::null::<u8>());
    prefetch(std::ptr::dangling::<u64>());
    prefetch(std::ptr::without_provenance::<u8>(usize::MAX - 63));
    let lane = [0u8; 256];
    prefetch(lane.as_ptr());
}
