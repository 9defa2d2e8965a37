//! Object storage behind a narrow trait; the embedded default is a local directory.
//!
//! Keys are `/`-separated relative paths. The layout of a bulletin's objects is fixed by
//! [`BulletinKeys`], so an event's revisions (automatic → official → revised) live side by side
//! and never overwrite each other.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use quakecast_facts::{Event, ReportStatus, Source};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What was stored: where, how big, and its content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredObject {
    pub key: String,
    pub url: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A place to keep finished bulletins and their manifests.
pub trait ObjectStore: Send + Sync {
    /// Store the file at `path` under `key` (atomically: readers see the old object or the new one).
    fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<StoredObject>;
    /// Store `bytes` under `key`.
    fn put_bytes(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<StoredObject>;
    fn get_bytes(&self, key: &str) -> Result<Vec<u8>>;
    fn exists(&self, key: &str) -> Result<bool>;
    /// A URL a reader can use for `key` (file:// for the local store).
    fn url(&self, key: &str) -> String;
}

/// Reject keys that could escape the store's root or are not portable across stores.
pub fn validate_key(key: &str) -> Result<()> {
    let bad = |reason| {
        Err(Error::Key {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() || key.len() > 1024 {
        return bad("must be 1..=1024 bytes");
    }
    if key.starts_with('/') || key.ends_with('/') {
        return bad("must not start or end with '/'");
    }
    if key
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == ".." || p.starts_with('.'))
    {
        return bad("path parts must be non-empty and not start with '.'");
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        return bad("only ASCII letters, digits, '-', '_', '.' and '/' are allowed");
    }
    Ok(())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let n = std::io::copy(&mut f, &mut h).map_err(|e| Error::io(path, e))?;
    Ok((n, hex(&h.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Objects under a directory on the local filesystem.
#[derive(Clone, Debug)]
pub struct LocalDirStore {
    root: PathBuf,
}

impl LocalDirStore {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let root = root.canonicalize().map_err(|e| Error::io(&root, e))?;
        Ok(Self { root })
    }

    /// The filesystem path of `key`.
    pub fn path(&self, key: &str) -> Result<PathBuf> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    fn store_err(op: &'static str, key: &str, source: std::io::Error) -> Error {
        Error::Store {
            op,
            key: key.to_string(),
            source,
        }
    }

    /// Write through a temporary sibling and rename, so a crash never leaves a partial object.
    ///
    /// The temporary file has a unique name per write (`.<name>.<random>.partial`): two writers
    /// of one key (a worker that lost its lease and the task's new owner) never write into the
    /// same file; each renames a complete file of its own, and the last rename wins.
    fn write_atomic(
        &self,
        key: &str,
        write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
    ) -> Result<PathBuf> {
        let dest = self.path(key)?;
        let dir = dest.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| Self::store_err("mkdir", key, e))?;
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("object");
        let res = (|| {
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .suffix(".partial")
                .tempfile_in(dir)?;
            write(tmp.as_file_mut())?;
            tmp.as_file().sync_all()?;
            // A failed persist hands the file back, and dropping it removes it.
            tmp.persist(&dest).map_err(|e| e.error)?;
            Ok(())
        })();
        if let Err(e) = res {
            return Err(Self::store_err("put", key, e));
        }
        Ok(dest)
    }
}

impl ObjectStore for LocalDirStore {
    fn put_file(&self, key: &str, path: &Path, _content_type: &str) -> Result<StoredObject> {
        let dest = self.write_atomic(key, |f| {
            let mut src = fs::File::open(path)?;
            std::io::copy(&mut src, f).map(|_| ())
        })?;
        let (bytes, sha256) = sha256_file(&dest)?;
        Ok(StoredObject {
            key: key.to_string(),
            url: self.url(key),
            bytes,
            sha256,
        })
    }

    fn put_bytes(&self, key: &str, bytes: &[u8], _content_type: &str) -> Result<StoredObject> {
        self.write_atomic(key, |f| f.write_all(bytes))?;
        Ok(StoredObject {
            key: key.to_string(),
            url: self.url(key),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        })
    }

    fn get_bytes(&self, key: &str) -> Result<Vec<u8>> {
        let p = self.path(key)?;
        fs::read(&p).map_err(|e| Self::store_err("get", key, e))
    }

    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.path(key)?.is_file())
    }

    fn url(&self, key: &str) -> String {
        format!("file://{}", self.root.join(key).display())
    }
}

/// Longest readable id part of a key, and the readable prefix kept before the hash of an id that
/// is not used as it is.
const ID_PART_MAX: usize = 128;
const ID_PREFIX_MAX: usize = 40;

/// An event id as one path part of a key, injective (two ids never share a part) and bounded.
///
/// An id of ASCII letters, digits, `-` and `_` (at most [`ID_PART_MAX`]) is its own part, so
/// keys stay readable for the usual ids (`us7000abcd`, `CC20220905125218`). Any other id becomes
/// a readable prefix (its safe characters, others as `_`) then `.` and 32 hex digits of its
/// SHA-256. A safe id never contains `.`, so the two forms cannot meet, and two different ids
/// meet only through a 128-bit hash collision. A lossy replacement alone (`COLL.1` and `COLL_1`
/// both `COLL_1`) would let one event's bulletin overwrite another's.
pub fn id_path_part(id: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !id.is_empty() && id.len() <= ID_PART_MAX && id.chars().all(safe) {
        return id.to_string();
    }
    let prefix: String = id
        .chars()
        .take(ID_PREFIX_MAX)
        .map(|c| if safe(c) { c } else { '_' })
        .collect();
    let prefix = if prefix.is_empty() {
        "id".to_string()
    } else {
        prefix
    };
    format!("{prefix}.{}", &sha256_hex(id.as_bytes())[..32])
}

/// The key layout of one rendered bulletin.
///
/// `bulletins/<source>/<event id>/r<revision>-<status>/<width>x<height>/…`: the revision and
/// status are part of the path so an official report never overwrites the automatic bulletin it
/// supersedes, and the review history can show both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BulletinKeys {
    pub prefix: String,
}

impl BulletinKeys {
    pub fn new(event: &Event, width: u32, height: u32) -> Self {
        let source = match event.source {
            Source::Cenc => "cenc",
            Source::Usgs => "usgs",
            Source::Emsc => "emsc",
        };
        let status = match event.status {
            ReportStatus::Automatic => "automatic",
            ReportStatus::Official => "official",
        };
        let id = id_path_part(&event.event_id);
        Self {
            prefix: format!(
                "bulletins/{source}/{id}/r{}-{status}/{width}x{height}",
                event.revision
            ),
        }
    }

    pub fn video(&self) -> String {
        format!("{}/bulletin.mp4", self.prefix)
    }

    pub fn manifest(&self) -> String {
        format!("{}/manifest.json", self.prefix)
    }

    pub fn segment(&self, index: u32) -> String {
        format!("{}/segments/seg{index:04}.mp4", self.prefix)
    }

    /// A file published beside the video (subtitles, HLS playlist).
    pub fn sidecar(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated() {
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "../x",
            "a/../b",
            "a/.hidden",
            "a b",
            "ä",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?} should be rejected");
        }
        for good in ["a", "bulletins/cenc/X1/r0-official/720x1280/bulletin.mp4"] {
            validate_key(good).expect(good);
        }
    }

    fn event(id: &str) -> Event {
        Event {
            source: Source::Cenc,
            event_id: id.to_string(),
            status: ReportStatus::Official,
            revision: 0,
            origin_time: chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            lat: 29.0,
            lon: 102.0,
            depth_km: 10.0,
            magnitude: 5.0,
            magnitude_type: "Ms".into(),
            region: "四川汉源".into(),
            revised: false,
        }
    }

    #[test]
    fn bulletin_keys_are_injective_bounded_and_readable_when_safe() {
        let keys = |id: &str| BulletinKeys::new(&event(id), 720, 1280).prefix;
        assert_eq!(
            keys("CC2022_x-1"),
            "bulletins/cenc/CC2022_x-1/r0-official/720x1280"
        );
        let ids = [
            "COLL.1",
            "COLL_1",
            "COLL_1.",
            "四川汉源",
            "云南大理",
            "____",
            "a/b",
            "a_b",
            "..",
            "",
            "id",
        ];
        let mut seen = std::collections::BTreeMap::new();
        for id in ids {
            let k = keys(id);
            validate_key(&BulletinKeys::new(&event(id), 720, 1280).video())
                .unwrap_or_else(|e| panic!("{id:?}: {e}"));
            if let Some(other) = seen.insert(k.clone(), id) {
                panic!("{id:?} and {other:?} share the key prefix {k}");
            }
        }
        // Any id of any length maps to a valid key of bounded length.
        let long = "震".repeat(200_000);
        let k = BulletinKeys::new(&event(&long), 720, 1280).manifest();
        validate_key(&k).expect("long id");
        assert!(k.len() < 200, "{k}");
    }

    #[test]
    fn concurrent_writers_of_one_key_use_their_own_partial_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDirStore::new(dir.path()).expect("store");
        // The first writer is still writing (its partial file open) when the second writes the
        // same key: the second never touches the first's partial file.
        let seen = std::cell::RefCell::new(Vec::new());
        store
            .write_atomic("a/seg0000.mp4", |f| {
                f.write_all(b"old owner")?;
                store
                    .put_bytes("a/seg0000.mp4", b"new owner", "video/mp4")
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                seen.borrow_mut().extend(
                    fs::read_dir(dir.path().join("a"))?
                        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                        .collect::<std::io::Result<Vec<_>>>()?,
                );
                Ok(())
            })
            .expect("write");
        // While the old owner wrote, the new owner's object was complete and the old owner's
        // partial file was its own.
        let seen = seen.into_inner();
        assert!(seen.contains(&"seg0000.mp4".to_string()), "{seen:?}");
        assert_eq!(
            seen.iter().filter(|n| n.ends_with(".partial")).count(),
            1,
            "{seen:?}"
        );
        assert_eq!(store.get_bytes("a/seg0000.mp4").expect("get"), b"old owner");
        let left: Vec<_> = fs::read_dir(dir.path().join("a")).expect("dir").collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn local_store_round_trip_and_atomicity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDirStore::new(dir.path()).expect("store");
        let obj = store
            .put_bytes("a/b/c.json", b"{}", "application/json")
            .expect("put");
        assert_eq!(obj.bytes, 2);
        assert_eq!(
            obj.sha256,
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(store.get_bytes("a/b/c.json").expect("get"), b"{}");
        assert!(store.exists("a/b/c.json").expect("exists"));
        assert!(!store.exists("a/b/d.json").expect("exists"));
        // A failed put (source missing) leaves neither the object nor a temporary file.
        let err = store.put_file("a/b/e.mp4", Path::new("/nonexistent/file"), "video/mp4");
        assert!(err.is_err());
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b"))
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("c.json")]);
    }
}
