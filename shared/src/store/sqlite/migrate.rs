//! Schema changes of databases made by earlier builds.

use rusqlite::Connection;

use super::be;
use crate::store::StoreResult;

/// Columns added after a table was first created (`CREATE TABLE IF NOT EXISTS` leaves an
/// existing table as it was).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("webhooks", "health", "TEXT"),
    ("webhooks", "health_rev", "INTEGER NOT NULL DEFAULT 0"),
    ("queue", "grp", "TEXT NOT NULL DEFAULT ''"),
    ("queue", "in_flight", "INTEGER NOT NULL DEFAULT 0"),
    ("deliveries", "lean", "INTEGER NOT NULL DEFAULT 0"),
];

pub(super) fn migrate(conn: &Connection) -> StoreResult<()> {
    for (table, column, decl) in ADDED_COLUMNS {
        let exists: bool = conn
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))
            .map_err(be)?
            .exists([column])
            .map_err(be)?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))
                .map_err(be)?;
        }
    }
    Ok(())
}
