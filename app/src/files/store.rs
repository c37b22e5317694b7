//! Where file bytes live, behind `BlobStore`: content-addressed keys (a
//! SHA-256 in hex), written once and never changed. `LocalStore` keeps them
//! in the data directory (`files/ab/abcdef…`), with uploads staged in
//! `files/tmp/` on the same filesystem so storing one is a rename. An
//! object store (S3 and compatibles) is the natural second implementation
//! for several nodes; it would serve ranges by itself rather than a path.

use std::{
    io,
    path::{Path, PathBuf},
};

#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// Where uploads are written while they arrive.
    fn staging(&self) -> &Path;
    /// Moves the staged file `staged` in under `key`, or removes it when
    /// the store has `key` already (the same bytes).
    async fn put(&self, staged: &Path, key: &str) -> io::Result<()>;
    /// The file holding `key`, to serve (with ranges) from.
    async fn path(&self, key: &str) -> io::Result<Option<PathBuf>>;
    async fn delete(&self, key: &str) -> io::Result<()>;
}

pub struct LocalStore {
    root: PathBuf,
    staging: PathBuf,
}

impl LocalStore {
    /// A store in `root` (created if missing).
    pub fn open(root: PathBuf) -> io::Result<Self> {
        let staging = root.join("tmp");
        std::fs::create_dir_all(&staging)?;
        Ok(Self { root, staging })
    }

    fn at(&self, key: &str) -> io::Result<PathBuf> {
        let ok = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a blob key",
            ));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalStore {
    fn staging(&self) -> &Path {
        &self.staging
    }

    async fn put(&self, staged: &Path, key: &str) -> io::Result<()> {
        let to = self.at(key)?;
        if tokio::fs::try_exists(&to).await? {
            return tokio::fs::remove_file(staged).await;
        }
        if let Some(dir) = to.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(staged, &to).await
    }

    async fn path(&self, key: &str) -> io::Result<Option<PathBuf>> {
        let at = self.at(key)?;
        Ok(tokio::fs::try_exists(&at).await?.then_some(at))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.at(key)?).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
