//! What the store's own connections are set to.

use super::{SqliteStore, MMAP_BYTES};

fn mmap_sizes(store: &SqliteStore) -> Vec<i64> {
    let size = |conn: &rusqlite::Connection| conn.query_row("PRAGMA mmap_size", [], |r| r.get(0)).unwrap();
    store.readers.iter().map(|r| size(&r.lock().unwrap())).collect()
}

#[test]
fn the_server_maps_the_file_and_a_whole_log_walk_does_not() {
    let dir = std::env::temp_dir().join(format!("inbox-mmap-{}", uuid::Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let served = SqliteStore::open(&path).unwrap();
    assert_eq!(mmap_sizes(&served), vec![MMAP_BYTES; super::READERS]);
    // A walk over the whole log would count every page it read as resident.
    assert_eq!(mmap_sizes(&SqliteStore::open_for_scans(&path).unwrap()), vec![0; super::READERS]);
    std::fs::remove_dir_all(&dir).ok();
}
