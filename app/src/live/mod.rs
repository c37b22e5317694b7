//! Live delivery (server only): the `Live` interface chat code publishes
//! through, its in-process implementation (`hub` holds the sockets, `dispatch`
//! delivers logged events to them in id order), the one for several nodes
//! (`nats`: the same, plus NATS between nodes) and the watch that closes
//! sockets of ended sessions.
//!
//! This module knows nothing of chat: it moves pre-encoded frames to users.
//! The socket endpoint that speaks the chat protocol is `chat::socket`, the
//! browser's end of it `chat::connection`.

pub mod dispatch;
pub mod hub;
pub mod nats;
pub mod session_watch;

pub use server::{InProcess, Live};

mod server {
    use std::{net::IpAddr, sync::Arc};

    use sea_orm::DatabaseConnection;
    use tokio::sync::mpsc;

    use super::{
        dispatch::Work,
        hub::{Frame, Hub, Refused, Subscription},
    };
    use crate::events::log::Logged;

    /// What chat code needs from the live layer: publish committed events,
    /// subscribe a socket, presence, and closing the sockets of ended
    /// sessions. In-process by default; a broker-backed implementation (for
    /// several nodes) provides the same.
    pub trait Live: Send + Sync + 'static {
        /// Hands over events that have been committed (never before); they
        /// reach their audience's sockets in id order.
        fn publish(&self, events: Vec<Logged>);
        /// Sends a frame that is not logged (typing) to the other members of
        /// `conversation_id`, if `from` is a member; nothing is kept.
        fn ephemeral(&self, conversation_id: i32, from: i32, frame: Frame);
        /// Registers a socket of `user_id`, opened under `session` from `ip`.
        fn subscribe(
            &self,
            user_id: i32,
            session: &str,
            ip: IpAddr,
        ) -> Result<Subscription, Refused>;
        /// Who has a socket open now, sorted.
        fn online(&self) -> Vec<i32>;
        fn is_online(&self, user_id: i32) -> bool;
        /// Tells the sockets of this session it ended, then closes them.
        fn end_session(&self, user_id: i32, session: &str);
        /// The same for every session of the user.
        fn sign_out(&self, user_id: i32);
        /// Whether this node's live layer can serve (for `/readyz`): the
        /// reason when it cannot.
        fn ready(&self) -> Result<(), &'static str> {
            Ok(())
        }
        /// Sockets open on this node, and the people they belong to.
        fn local_counts(&self) -> (usize, usize);
    }

    /// One process: the hub and its delivery task.
    pub struct InProcess {
        pub hub: Arc<Hub>,
        events: mpsc::UnboundedSender<Work>,
    }

    impl InProcess {
        /// Starts delivery from the log's current position.
        pub async fn start(
            db: DatabaseConnection,
            hub: Arc<Hub>,
        ) -> Result<Arc<Self>, sea_orm::DbErr> {
            let events = super::dispatch::start(db, hub.clone()).await?;
            Ok(Arc::new(Self { hub, events }))
        }

        /// Hands work to the delivery task.
        pub(super) fn send(&self, work: Work) {
            // Fails only when the runtime is shutting down.
            let _ = self.events.send(work);
        }
    }

    impl Live for InProcess {
        fn publish(&self, events: Vec<Logged>) {
            for event in events {
                // Fails only when the runtime is shutting down.
                let _ = self
                    .events
                    .send(Work::Logged(event, tokio::time::Instant::now()));
            }
        }

        fn ephemeral(&self, conversation_id: i32, from: i32, frame: Frame) {
            let _ = self.events.send(Work::Ephemeral {
                conversation: conversation_id,
                from,
                frame,
            });
        }

        fn subscribe(
            &self,
            user_id: i32,
            session: &str,
            ip: IpAddr,
        ) -> Result<Subscription, Refused> {
            self.hub.subscribe(user_id, session, ip)
        }

        fn online(&self) -> Vec<i32> {
            self.hub.online()
        }

        fn is_online(&self, user_id: i32) -> bool {
            self.hub.is_online(user_id)
        }

        fn end_session(&self, user_id: i32, session: &str) {
            self.hub.end_session(user_id, session);
        }

        fn sign_out(&self, user_id: i32) {
            self.hub.sign_out(user_id);
        }

        fn local_counts(&self) -> (usize, usize) {
            (self.hub.connection_count(), self.hub.local_online().len())
        }
    }
}
