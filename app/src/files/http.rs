//! The file routes.
//!
//! `POST /api/upload?conversation_id=7&name=cat.png` with the file as the
//! raw request body: a member of the conversation uploads one file, read
//! as it arrives (one buffer at a time, never the whole file) into the
//! store's staging area while its SHA-256 is computed; its type is sniffed
//! from its first bytes; an image gets a thumbnail (`thumbs`). Answers the
//! `Attachment` to send with a message. Refused with a clear error, and
//! nothing kept: too large, over the person's quota, a type not allowed, an
//! image too large to decode, more than `UPLOADS_PER_PERSON` at once.
//!
//! `GET /files/<id>/<name>` and `GET /files/<id>/thumb`: the file, only to
//! members of its conversation (or, before it is sent, its uploader) —
//! `404` to anyone else, whatever id they guess. Served with ranges,
//! `nosniff`, a `sandbox` policy, `attachment` disposition for everything
//! but raster images, and private immutable caching by content.

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;
use tower_sessions::Session;

use super::{
    Files, rules,
    thumbs::{self, ThumbError},
};
use crate::{
    auth::{CurrentUser, server::current_user},
    chat::{directory, model::Attachment},
    db::{entities::upload, now_millis},
    error::AppError,
    state::AppState,
};

#[derive(Deserialize)]
pub struct UploadQuery {
    conversation_id: i32,
    name: String,
}

fn failure(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&e).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn caller(state: &AppState, session: &Session) -> Result<CurrentUser, AppError> {
    current_user(&state.db, session)
        .await?
        .ok_or_else(AppError::unauthorized)
}

pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<UploadQuery>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match receive(&state, &session, q, declared, body).await {
        Ok(a) => Json(a).into_response(),
        Err(e) => failure(e),
    }
}

fn too_large(files: &Files, size: Option<u64>) -> AppError {
    let max = crate::sizes::bytes_text(files.max_bytes);
    AppError::field(
        "file",
        match size {
            Some(n) => format!(
                "Files can be at most {max} (this one is {}).",
                crate::sizes::bytes_text(n)
            ),
            None => format!("Files can be at most {max}."),
        },
    )
}

fn quota_full(files: &Files, used: u64) -> AppError {
    AppError::field(
        "file",
        format!(
            "Your storage is full: {} used of {}. Delete messages with files to make room.",
            crate::sizes::bytes_text(used),
            crate::sizes::bytes_text(files.quota_bytes)
        ),
    )
}

/// A staged file, removed when dropped unless it was stored.
struct Staged(Option<std::path::PathBuf>);

impl Staged {
    fn path(&self) -> &std::path::Path {
        self.0.as_deref().expect("staged until kept")
    }
    fn keep(mut self) -> std::path::PathBuf {
        self.0.take().expect("staged until kept")
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Bytes gathered before a write to disk (per upload running).
const WRITE_BUFFER: usize = 512 * 1024;
/// Bytes read from disk per piece of a download.
const READ_CHUNK: usize = 256 * 1024;

fn random_id() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn receive(
    state: &AppState,
    session: &Session,
    q: UploadQuery,
    declared: Option<u64>,
    body: Body,
) -> Result<Attachment, AppError> {
    let files = &state.files;
    let me = caller(state, session).await?;
    let (conv, _) = directory::membership_of(&state.db, q.conversation_id, me.id).await?;
    if conv.archived_at.is_some() {
        return Err(AppError::field(
            "conversation_id",
            "This room is archived: it can be read but not written to.",
        ));
    }
    let name = rules::clean_name(&q.name).map_err(|e| AppError::Validation { fields: vec![e] })?;
    if declared.is_some_and(|n| n > files.max_bytes) {
        return Err(too_large(files, declared));
    }
    let used = super::records::usage(&state.db, me.id).await?;
    if used + declared.unwrap_or(0) > files.quota_bytes {
        return Err(quota_full(files, used));
    }
    let _running = files.start(me.id).ok_or_else(|| {
        crate::metrics::refused("uploads");
        AppError::RateLimited {
            retry_after_secs: 1,
        }
    })?;
    let _permit = files
        .uploads
        .acquire()
        .await
        .map_err(|_| AppError::Internal)?;

    // Receive: one chunk in memory at a time.
    let staged = Staged(Some(
        files.store.staging().join(format!("{}.part", random_id())),
    ));
    // Written in large pieces: each write to a file is a hop to a blocking
    // thread, so small network chunks are gathered first.
    let mut out = tokio::io::BufWriter::with_capacity(
        WRITE_BUFFER,
        tokio::fs::File::create(staged.path())
            .await
            .map_err(io_failed)?,
    );
    let mut hash = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(rules::SNIFF_BYTES);
    let mut size: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| AppError::Transport {
            message: "The upload was cut off.".into(),
        })?;
        size += chunk.len() as u64;
        if size > files.max_bytes {
            return Err(too_large(files, None));
        }
        if head.len() < rules::SNIFF_BYTES {
            let take = (rules::SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hash.update(&chunk);
        out.write_all(&chunk).await.map_err(io_failed)?;
    }
    out.flush().await.map_err(io_failed)?;
    out.get_ref().sync_all().await.map_err(io_failed)?;
    drop(out);
    if size == 0 {
        return Err(AppError::field("file", "This file is empty."));
    }
    if used + size > files.quota_bytes {
        return Err(quota_full(files, used));
    }
    let mime = rules::sniff(&head);
    if !rules::allowed(&mime, &files.types) {
        return Err(rules::refused_type(&mime));
    }
    let key = hex::encode(hash.finalize());

    // An image's thumbnail, off the runtime, one at a time.
    let mut thumb = None;
    if rules::is_raster_image(&mime) {
        let _one = files
            .thumbs
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
        let path = staged.path().to_owned();
        match tokio::task::spawn_blocking(move || thumbs::make(&path)).await {
            Ok(Ok(t)) => thumb = Some(t),
            Ok(Err(e @ ThumbError::TooLarge(_))) => {
                return Err(AppError::field("file", e.to_string()));
            }
            Ok(Err(ThumbError::Unreadable)) => {}
            Err(_) => return Err(AppError::Internal),
        }
    }
    let thumb_staged = match &thumb {
        Some(t) => {
            let s = Staged(Some(
                files.store.staging().join(format!("{}.thumb", random_id())),
            ));
            tokio::fs::write(s.path(), &t.png)
                .await
                .map_err(io_failed)?;
            Some((s, hex::encode(Sha256::digest(&t.png))))
        }
        None => None,
    };

    // Store the bytes and the row in one write transaction (see `records`).
    let row = upload::ActiveModel {
        id: Set(random_id()),
        uploader_id: Set(me.id),
        conversation_id: Set(conv.id),
        message_id: Set(None),
        name: Set(name),
        size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        mime: Set(mime),
        sha256: Set(key.clone()),
        thumb_sha256: Set(thumb_staged.as_ref().map(|(_, k)| k.clone())),
        width: Set(thumb.as_ref().map(|t| i32::try_from(t.width).unwrap_or(0))),
        height: Set(thumb.as_ref().map(|t| i32::try_from(t.height).unwrap_or(0))),
        created_at: Set(now_millis()),
    };
    let txn = crate::db::begin_write(&state.db).await?;
    files
        .store
        .put(&staged.keep(), &key)
        .await
        .map_err(io_failed)?;
    if let Some((s, k)) = thumb_staged {
        files.store.put(&s.keep(), &k).await.map_err(io_failed)?;
    }
    let stored = row.insert(&txn).await?;
    txn.commit().await?;
    Ok(super::records::to_attachment(&stored))
}

fn io_failed(e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "storing an upload failed");
    AppError::Internal
}

pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path((id, what)): Path<(String, String)>,
    req: Request,
) -> Response {
    match send_file(&state, &session, &id, &what, req).await {
        Ok(r) => r,
        Err(e) => failure(e),
    }
}

async fn send_file(
    state: &AppState,
    session: &Session,
    id: &str,
    what: &str,
    req: Request,
) -> Result<Response, AppError> {
    let me = caller(state, session).await?;
    let gone = || AppError::not_found("File");
    let row = upload::Entity::find_by_id(id.to_owned())
        .one(&state.db)
        .await?
        .ok_or_else(gone)?;
    match row.message_id {
        None if row.uploader_id != me.id => return Err(gone()),
        None => {}
        Some(_) => {
            directory::membership_of(&state.db, row.conversation_id, me.id)
                .await
                .map_err(|_| gone())?;
        }
    }
    let thumb = what == "thumb";
    let key = if thumb {
        row.thumb_sha256.clone().ok_or_else(gone)?
    } else {
        row.sha256.clone()
    };
    let path = state
        .files
        .store
        .path(&key)
        .await
        .map_err(io_failed)?
        .ok_or_else(|| {
            tracing::error!(key, "a stored file is missing");
            gone()
        })?;
    let mut res = tower_http::services::ServeFile::new(path)
        .with_buf_chunk_size(READ_CHUNK)
        .oneshot(req)
        .await
        .map_err(|_| AppError::Internal)?
        .map(Body::new);
    let inline = thumb || rules::is_raster_image(&row.mime);
    let mime = if thumb {
        "image/png"
    } else {
        row.mime.as_str()
    };
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(h, header::CONTENT_TYPE, mime);
    set(
        h,
        header::CONTENT_DISPOSITION,
        &rules::disposition(&row.name, inline),
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    );
    set(
        h,
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable",
    );
    set(h, header::ETAG, &format!("\"{key}\""));
    Ok(res)
}
