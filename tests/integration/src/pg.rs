//! PostgreSQL for tests: the server's URL (or a skip), and a fresh schema per case, dropped afterwards.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The PostgreSQL server the tests use (`DATABASE_URL`, default the local `test` database), or `None` with a
/// message when it is not reachable. In CI (`CI` set) a missing PostgreSQL fails the test instead.
pub async fn postgres_url() -> Option<String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    match PgConnection::connect(&url).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Some(url)
        }
        Err(error) => {
            crate::skip::skip(&format!("PostgreSQL is not reachable at {url} ({error}); start it or set DATABASE_URL"));
            None
        }
    }
}

/// A schema of its own for one test case; dropped (with everything in it) when this is dropped.
pub struct PgSchema {
    /// The server URL, unchanged.
    pub server_url: String,
    /// The schema's name.
    pub name: String,
    /// The server URL with `search_path` set to the schema alone.
    pub url: String,
}

impl PgSchema {
    /// Creates a new, empty schema, or `None` (skip) when PostgreSQL is not reachable.
    pub async fn create(prefix: &str) -> Option<Self> {
        let server_url = postgres_url().await?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&server_url).await.expect("postgres connection");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let _ = conn.close().await;
        let separator = if server_url.contains('?') { '&' } else { '?' };
        let url = format!("{server_url}{separator}options=-c%20search_path%3D{name}");
        Some(Self { server_url, name, url })
    }

    /// A connection whose `search_path` is the schema.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("postgres connection")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.server_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop test schema {}", self.name);
        }
    }
}
