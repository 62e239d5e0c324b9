//! Checks run before the database is opened, so that a start never silently drops what was
//! acknowledged.
//!
//! SQLite replays its write-ahead log on open and stops at the first frame whose checksum
//! fails, without a word: every transaction after that frame is gone, even those whose callers
//! were answered 2xx. After a crash or a power cut the only frames that may fail are those of
//! the last transaction (it was being written; with `full` durability nobody was answered for
//! it). So a log where committed transactions follow a damaged frame was damaged after the
//! fact, and starting on it would lose them: [`check_wal`] refuses, naming the file.
//!
//! A data directory on a filesystem that ignores flushes (tmpfs) makes `full` durability
//! promise nothing across a reboot: [`ignores_flushes`] tells, so the start can warn.

use std::path::Path;

/// The log's header and each frame's header (SQLite's file format, "WAL File Format").
const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;
const MAGIC_LE: u32 = 0x377f_0682;
const MAGIC_BE: u32 = 0x377f_0683;
const VERSION: u32 = 3_007_000;

/// `Err` with what is wrong when the log next to `db` would lose committed transactions.
pub(crate) fn check_wal(db: &Path) -> Result<(), String> {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    let path = Path::new(&name);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    inspect(&bytes).map_err(|why| {
        format!(
            "the write-ahead log {} is damaged ({why}); starting on it would silently drop \
             transactions that were acknowledged. Restore the data directory from a backup, or \
             move the file aside to start without them",
            path.display()
        )
    })
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's running checksum over `data` (a multiple of 8 bytes), continuing from `s`.
fn checksum(data: &[u8], little_endian: bool, mut s: (u32, u32)) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let word = |w: &[u8]| {
            let w = [w[0], w[1], w[2], w[3]];
            if little_endian {
                u32::from_le_bytes(w)
            } else {
                u32::from_be_bytes(w)
            }
        };
        s.0 = s.0.wrapping_add(word(&pair[..4])).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(word(&pair[4..])).wrapping_add(s.0);
    }
    s
}

/// Walks the frames of a log: `Err` when committed transactions follow a damaged frame.
fn inspect(b: &[u8]) -> Result<(), String> {
    if b.len() < HEADER {
        // Nothing was ever committed through a log this short.
        return Ok(());
    }
    let magic = u32_at(b, 0);
    if magic != MAGIC_LE && magic != MAGIC_BE {
        return Err("its header has no WAL magic number".into());
    }
    let little_endian = magic == MAGIC_LE;
    if u32_at(b, 4) != VERSION {
        return Err(format!("unknown format version {}", u32_at(b, 4)));
    }
    let mut sum = checksum(&b[..24], little_endian, (0, 0));
    if sum != (u32_at(b, 24), u32_at(b, 28)) {
        return Err("its header fails its checksum".into());
    }
    let page = u32_at(b, 8) as usize;
    let page = if page == 1 { 65_536 } else { page };
    if !(512..=65_536).contains(&page) || !page.is_power_of_two() {
        return Err(format!("its header names a page size of {page}"));
    }
    let salt = (u32_at(b, 16), u32_at(b, 20));
    let frame = FRAME_HEADER + page;
    let frames = (b.len() - HEADER) / frame;
    let at = |i: usize| HEADER + i * frame;
    let of_this_log = |i: usize| (u32_at(b, at(i) + 8), u32_at(b, at(i) + 12)) == salt;
    let commits = |i: usize| u32_at(b, at(i) + 4) != 0;

    // The frames SQLite will replay: those whose salts and running checksum hold.
    let mut valid = 0;
    while valid < frames && of_this_log(valid) {
        let f = &b[at(valid)..at(valid) + frame];
        let next = checksum(
            &f[FRAME_HEADER..],
            little_endian,
            checksum(&f[..8], little_endian, sum),
        );
        if next != (u32_at(f, 16), u32_at(f, 20)) {
            break;
        }
        sum = next;
        valid += 1;
    }
    // Frames left over from before the log was last restarted carry other salts. A crash may
    // tear the last transaction: the commit frame after a damaged frame that is not itself a
    // commit may close that same torn transaction. Any other commit after it was acknowledged.
    let after = (valid + 1..frames)
        .filter(|&i| of_this_log(i) && commits(i))
        .count();
    let torn_own = valid < frames && !(of_this_log(valid) && commits(valid));
    let lost = after.saturating_sub(usize::from(torn_own));
    if lost > 0 {
        return Err(format!(
            "frame {} of {frames} is unreadable and {lost} committed transaction(s) follow it",
            valid + 1
        ));
    }
    Ok(())
}

/// Whether `dir` sits on a filesystem that keeps everything in memory (tmpfs, ramfs), where a
/// flush promises nothing across a reboot. Linux only (reads `/proc/self/mounts`).
pub(crate) fn ignores_flushes(dir: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    // The mount that holds `dir` is the one with the longest mount point above it.
    let (point, fstype) = mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, point, fstype) = (f.next()?, f.next()?, f.next()?);
            Some((point.replace("\\040", " "), fstype.to_string()))
        })
        .filter(|(point, _)| dir.starts_with(point))
        .max_by_key(|(point, _)| point.len())?;
    matches!(fstype.as_str(), "tmpfs" | "ramfs").then(|| format!("{fstype} at {point}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log of `n` one-page transactions, each frame with a valid running checksum.
    fn log(n: usize, page: usize) -> Vec<u8> {
        log_of(&vec![true; n], page)
    }

    /// A log of frames, each a commit or not.
    fn log_of(commit: &[bool], page: usize) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [MAGIC_LE, VERSION, page as u32, 0, 7, 9] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let mut sum = checksum(&b, true, (0, 0));
        b.extend_from_slice(&sum.0.to_be_bytes());
        b.extend_from_slice(&sum.1.to_be_bytes());
        for (i, &commits) in commit.iter().enumerate() {
            let mut f = Vec::new();
            for v in [i as u32 + 1, u32::from(commits), 7, 9] {
                f.extend_from_slice(&v.to_be_bytes());
            }
            let data = vec![i as u8; page];
            sum = checksum(&data, true, checksum(&f[..8], true, sum));
            f.extend_from_slice(&sum.0.to_be_bytes());
            f.extend_from_slice(&sum.1.to_be_bytes());
            f.extend_from_slice(&data);
            b.extend_from_slice(&f);
        }
        b
    }

    #[test]
    fn an_intact_log_passes() {
        assert_eq!(inspect(&log(5, 512)), Ok(()));
        assert_eq!(inspect(&[]), Ok(()));
    }

    #[test]
    fn a_torn_last_transaction_is_what_a_crash_leaves_and_passes() {
        let mut b = log(5, 512);
        let last = b.len() - 100;
        b[last] ^= 0xff;
        assert_eq!(inspect(&b), Ok(()));
        // Half a frame written: the same.
        let b = log(5, 512);
        assert_eq!(inspect(&b[..b.len() - 200]), Ok(()));
    }

    #[test]
    fn damage_before_committed_transactions_is_refused() {
        let mut b = log(5, 512);
        b[HEADER + FRAME_HEADER + 10] ^= 0xff;
        let e = inspect(&b).unwrap_err();
        assert!(
            e.contains("frame 1 of 5") && e.contains("4 committed"),
            "{e}"
        );
    }

    #[test]
    fn damage_inside_the_last_transaction_passes_but_not_in_the_one_before() {
        // Two transactions: frames 1-2 and 3-4.
        let shape = [false, true, false, true];
        let frame = FRAME_HEADER + 512;
        let mut b = log_of(&shape, 512);
        b[HEADER + 2 * frame + 30] ^= 0xff;
        assert_eq!(
            inspect(&b),
            Ok(()),
            "frame 3 is of the last, torn, transaction"
        );
        let mut b = log_of(&shape, 512);
        b[HEADER + frame + 30] ^= 0xff;
        assert!(
            inspect(&b).is_err(),
            "frame 2 closed a transaction and one follows it"
        );
    }

    #[test]
    fn a_damaged_header_is_refused() {
        let mut b = log(2, 512);
        b[17] ^= 0x01;
        assert!(inspect(&b).unwrap_err().contains("checksum"));
        b[0] = 0;
        assert!(inspect(&b).unwrap_err().contains("magic"));
    }

    #[test]
    fn frames_of_an_earlier_log_generation_are_not_damage() {
        let mut b = log(5, 512);
        // Frames 3.. carry the salts of the log before its last restart.
        for i in 2..5 {
            let at = HEADER + i * (FRAME_HEADER + 512) + 8;
            b[at] ^= 0x10;
        }
        assert_eq!(inspect(&b), Ok(()));
    }

    #[test]
    fn a_data_dir_in_memory_is_told_apart_from_one_on_disk() {
        // /dev/shm is a tmpfs on Linux and in containers.
        let shm = ignores_flushes(Path::new("/dev/shm")).expect("/dev/shm is a tmpfs here");
        assert!(shm.starts_with("tmpfs"), "{shm}");
        assert_eq!(ignores_flushes(Path::new(env!("CARGO_MANIFEST_DIR"))), None);
    }
}
