//! Raw DEFLATE for the compressed documents (`docz`), through zlib-rs.
//!
//! Why not miniz_oxide, which this used before: packing a batch's events into pages deflates
//! a few kilobytes several times per batch publish, and at level 6 zlib-rs took about 15 µs
//! for a 5 KB page of events where miniz_oxide took 26 (and 9 against 17 µs for one 500-byte
//! event), for the same size within a byte. Both write raw DEFLATE, so what either wrote
//! inflates with the other.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

thread_local! {
    /// One compressor per thread, reset for each document: a new one allocates and clears
    /// its tables, a large part of the work for documents of a few kilobytes.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(6), false));
}

/// `data` deflated (raw, no zlib header), at level 6.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let fed = c.total_in() as usize;
            match c.compress_vec(&data[fed..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return out,
                // Out of room: more, and go on.
                Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity().max(64)),
                Err(e) => unreachable!("deflating a buffer in memory cannot fail: {e}"),
            }
        }
    })
}

/// `z` inflated, refused past `limit` bytes (a document that would grow without bound is not
/// one this store wrote).
pub fn inflate(z: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut d = Decompress::new(false);
    let mut out = Vec::with_capacity((z.len() * 4).min(limit));
    loop {
        let fed = d.total_in() as usize;
        let status = d
            .decompress_vec(&z[fed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| e.to_string())?;
        match status {
            Status::StreamEnd => return Ok(out),
            _ if d.total_in() as usize == z.len() && out.len() < out.capacity() => {
                return Err("the data ends before the stream does".into());
            }
            _ if out.len() >= limit => return Err(format!("it inflates past {limit} bytes")),
            _ => out.reserve(out.capacity().min(limit - out.len()).max(64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_deflates_inflates_back_and_stays_raw() {
        let doc: String = (0..300)
            .map(|i| format!(r#"{{"sku":"SKU-{:05}","n":{i}}},"#, i * 7919 % 100_000))
            .collect();
        let z = deflate(doc.as_bytes());
        assert!(z.len() < doc.len() / 3, "{} of {}", z.len(), doc.len());
        assert_eq!(inflate(&z, 1 << 20).unwrap(), doc.as_bytes());
        // Reset between documents: the second is not deflated against the first.
        assert_eq!(deflate(doc.as_bytes()), z);
        assert_eq!(inflate(&deflate(b""), 10).unwrap(), b"");
        // Raw DEFLATE, as miniz_oxide wrote the documents stored before.
        let old = miniz_oxide::deflate::compress_to_vec(doc.as_bytes(), 6);
        assert_eq!(inflate(&old, 1 << 20).unwrap(), doc.as_bytes());
        assert_eq!(
            miniz_oxide::inflate::decompress_to_vec(&z).unwrap(),
            doc.as_bytes()
        );
    }

    #[test]
    fn a_document_past_the_limit_or_cut_short_is_refused() {
        let z = deflate(&vec![b'a'; 100_000]);
        let e = inflate(&z, 50_000).unwrap_err();
        assert!(e.contains("past 50000"), "{e}");
        assert!(inflate(&z[..z.len() / 2], 1 << 20).is_err());
        assert!(inflate(b"\xff\xff\xff", 1 << 20).is_err());
    }
}
