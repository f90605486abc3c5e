//! A new embedded store starts as a prebuilt empty store: the schema all the migrations make, with every
//! migration recorded as applied, written in one go instead of one transaction a migration. A test checks it
//! against the migrations and rewrites it when asked to (`SCALELITE_WRITE_EMPTY_STORE=1`).

use std::fs::Permissions;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The empty store after every migration of [`super::MIGRATOR`], in WAL mode.
const EMPTY_STORE: &[u8] = include_bytes!("empty-store.db");

/// Writes the empty store at `path` when nothing is there yet: no database file, and no write-ahead log that
/// SQLite would replay into it. Another process laying down the same store at once is harmless: the file
/// appears whole or not at all, and the first to land stays.
pub(super) fn lay_down(path: &Path) -> io::Result<()> {
    if path.try_exists()? || super::beside(path, "-wal").try_exists()? {
        return Ok(());
    }
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // The mode SQLite gives a file it creates, less the umask.
    let mut file = tempfile::Builder::new()
        .prefix(".scalelite-empty-store")
        .permissions(Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    file.write_all(EMPTY_STORE)?;
    // Whole on disk before it has a name: SQLite's own writes come later and sync only at checkpoints.
    file.as_file().sync_all()?;
    match file.persist_noclobber(path) {
        Err(lost) if lost.error.kind() != io::ErrorKind::AlreadyExists => Err(lost.error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::MIGRATOR;
    use super::*;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{Connection, SqliteConnection};

    async fn connect(path: &Path) -> SqliteConnection {
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path).create_if_missing(true))
            .await
            .unwrap()
    }

    /// A store's shape: the file's settings, every table, index, view and trigger as created, and the migrations
    /// recorded (not when or how fast they ran).
    type Shape = (Vec<i64>, Vec<(String, String, Option<String>)>, Vec<(i64, String, Vec<u8>)>);

    async fn shape(conn: &mut SqliteConnection) -> Shape {
        let mut settings = Vec::new();
        for setting in ["PRAGMA user_version", "PRAGMA application_id", "PRAGMA page_size", "PRAGMA auto_vacuum"] {
            settings.push(sqlx::query_scalar(setting).fetch_one(&mut *conn).await.unwrap());
        }
        let schema = sqlx::query_as("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let applied = sqlx::query_as(
            "SELECT version, description, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&mut *conn)
        .await
        // A store without the migrations' table has none applied.
        .unwrap_or_default();
        (settings, schema, applied)
    }

    #[tokio::test]
    async fn the_empty_store_is_what_the_migrations_make() {
        let dir = tempfile::tempdir().unwrap();
        let migrated = dir.path().join("migrated.db");
        let mut by_migrations = connect(&migrated).await;
        MIGRATOR.run(&mut by_migrations).await.unwrap();
        let laid = dir.path().join("laid.db");
        lay_down(&laid).unwrap();
        let mut by_template = connect(&laid).await;
        let (expected, found) = (shape(&mut by_migrations).await, shape(&mut by_template).await);
        if std::env::var("SCALELITE_WRITE_EMPTY_STORE").is_ok_and(|v| v == "1") {
            let compact = dir.path().join("compact.db");
            sqlx::query("VACUUM INTO ?").bind(compact.to_str().unwrap()).execute(&mut by_migrations).await.unwrap();
            // In WAL mode already, as every store is: no rollback journal could ever apply to it.
            let mut compacted = connect(&compact).await;
            sqlx::query("PRAGMA journal_mode = WAL").execute(&mut compacted).await.unwrap();
            compacted.close().await.unwrap();
            std::fs::copy(&compact, concat!(env!("CARGO_MANIFEST_DIR"), "/src/sqlite/empty-store.db")).unwrap();
            return;
        }
        assert!(
            expected == found,
            "the prebuilt empty store differs from what the migrations make; rewrite it with \
             SCALELITE_WRITE_EMPTY_STORE=1 cargo test -p scalelite-infra the_empty_store_is_what_the_migrations_make\n\
             migrations: {expected:#?}\nprebuilt: {found:#?}"
        );
        // SQLite's file header: write and read format versions 2, WAL.
        assert_eq!(EMPTY_STORE[18..20], [2, 2], "the prebuilt empty store is not in WAL mode");
        // The migrator finds nothing left to do on it.
        MIGRATOR.run(&mut by_template).await.unwrap();
        assert_eq!(shape(&mut by_template).await, expected);
    }

    #[test]
    fn nothing_is_laid_over_a_store_or_beside_a_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let there = dir.path().join("there.db");
        std::fs::write(&there, b"a store").unwrap();
        lay_down(&there).unwrap();
        assert_eq!(std::fs::read(&there).unwrap(), b"a store");
        let logged = dir.path().join("logged.db");
        std::fs::write(dir.path().join("logged.db-wal"), b"frames").unwrap();
        lay_down(&logged).unwrap();
        assert!(!logged.exists());
        let new = dir.path().join("new.db");
        lay_down(&new).unwrap();
        assert_eq!(std::fs::read(&new).unwrap(), EMPTY_STORE);
        // Nothing else is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
