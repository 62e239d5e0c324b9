//! Packing's tests (`items.rs`).

use super::*;

/// [`super::pack`] from nothing: no line from an earlier packing.
fn pack(jsons: &[String], budget: usize) -> Vec<(Range<usize>, Vec<u8>)> {
    super::pack(jsons, budget, &Cell::new(None))
}

thread_local! {
    /// How many times this thread deflated (see `deflate`).
    pub(super) static DEFLATES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn order(i: usize) -> String {
    let lines: Vec<String> = (0..12)
        .map(|n| {
            format!(
                r#"{{"sku":"SKU-{:05}","quantity":{},"unit_amount":{}}}"#,
                (i * 7919 + n * 104_729) % 100_000,
                1 + (i + n) % 4,
                199 + (i * 31 + n * 17) % 5000
            )
        })
        .collect();
    format!(
        r#"{{"id":"evt_{i}","type":"order.paid","data":{{"order":{i},"lines":[{}]}}}}"#,
        lines.join(",")
    )
}

#[test]
fn pages_fit_the_budget_keep_the_order_and_hold_several_events() {
    let jsons: Vec<String> = (0..10).map(order).collect();
    assert!(jsons.iter().all(|j| j.len() > 600));
    let pages = pack(&jsons, 900);
    let mut next = 0;
    for (range, z) in &pages {
        assert_eq!(range.start, next, "pages follow each other");
        next = range.end;
        assert!(z.len() <= 900, "a page of {} bytes", z.len());
        let json = super::super::deflate::inflate(z, 1 << 20).unwrap();
        let back: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!(back.len(), range.len());
        assert_eq!(back[0]["data"]["order"], range.start);
    }
    assert_eq!(next, 10, "every event is on a page");
    assert!(
        pages.len() < 10,
        "several events share a page: {} pages",
        pages.len()
    );
    // One that does not fit alone still gets a page, of its own.
    let big = pack(&jsons[..2], 100);
    assert_eq!(big.iter().map(|(r, _)| r.len()).collect::<Vec<_>>(), [1, 1]);
}

/// Every page is as long as growing it one document at a time makes it, however far
/// the guess is off: sizes that change from page to page, a budget that fits one or many.
/// (A page taken without proof that the next document overflows is one of these too.)
#[test]
fn pages_are_the_longest_that_fit_whatever_the_guess() {
    let longest = |jsons: &[String], budget: usize| {
        let mut pages = Vec::new();
        let mut start = 0;
        while start < jsons.len() {
            let mut end = start + 1;
            while end < jsons.len()
                && deflate(format!("[{}]", jsons[start..=end].join(",")).as_bytes()).len() <= budget
            {
                end += 1;
            }
            pages.push(start..end);
            start = end;
        }
        pages
    };
    // Small ones, then large ones, then small ones: the ratio of one page misleads the next.
    let small = |i: usize| format!(r#"{{"id":"evt_{i}","type":"a.b","data":{{"n":{i}}}}}"#);
    let jsons: Vec<String> = (0..12)
        .map(small)
        .chain((0..6).map(order))
        .chain((20..40).map(small))
        .collect();
    for budget in [60, 300, 900, 2_000, 20_000] {
        let ranges: Vec<_> = pack(&jsons, budget).into_iter().map(|(r, _)| r).collect();
        assert_eq!(ranges, longest(&jsons, budget), "budget {budget}");
    }
    assert_eq!(
        pack(&jsons[..12], 900).len(),
        1,
        "small events share one page"
    );
}

/// What packing costs is its deflates: a page whose length the first guess misses finds
/// it in a few, not one per document it grows by.
#[test]
fn a_page_costs_a_few_deflates_not_one_per_document() {
    let jsons: Vec<String> = (0..40).map(order).collect();
    let deflated = |budget| {
        DEFLATES.with(|d| d.set(0));
        let pages = pack(&jsons, budget).len();
        (pages, DEFLATES.with(|d| d.get()))
    };
    for budget in [900, 4_000] {
        let (pages, deflates) = deflated(budget);
        assert!(
            deflates <= 2 * pages + 2,
            "budget {budget}: {deflates} deflates for {pages} pages"
        );
    }
    // A batch of ten alike events of about 1 KB (as the cost benchmark publishes them):
    // the first page holds most of them, and its length is found without deflating each
    // length on the way (a ratio undershot at every step: 8 deflates).
    let batch: Vec<String> = (0..10).map(invoice).collect();
    DEFLATES.with(|d| d.set(0));
    let pages = pack(&batch, 900);
    let deflates = DEFLATES.with(|d| d.get());
    let lengths: Vec<usize> = pages.iter().map(|(r, _)| r.len()).collect();
    assert!(lengths[0] >= 5, "pages of {lengths:?}");
    assert!(
        deflates <= 5,
        "{deflates} deflates for pages of {lengths:?}"
    );
}

/// A batch like the one before it is packed by the line the one before found: each page's
/// end is guessed right at once, one deflate a page (the line puts one event more clearly
/// over the budget, so no deflate proves it).
#[test]
fn a_batch_like_the_last_takes_the_fewest_deflates() {
    let last = Cell::new(None);
    let batches: Vec<Vec<String>> = (0..3)
        .map(|b| (b * 10..b * 10 + 10).map(invoice).collect())
        .collect();
    let mut counts = Vec::new();
    for batch in &batches {
        DEFLATES.with(|d| d.set(0));
        let pages = super::pack(batch, 950, &last);
        counts.push((pages.len(), DEFLATES.with(|d| d.get())));
        // The same pages as from nothing.
        let ranges: Vec<_> = pages.into_iter().map(|(r, _)| r).collect();
        let fresh: Vec<_> = pack(batch, 950).into_iter().map(|(r, _)| r).collect();
        assert_eq!(ranges, fresh);
    }
    assert!(counts[0].1 > counts[0].0, "from nothing: {counts:?}");
    for (pages, deflates) in &counts[1..] {
        assert_eq!(deflates, pages, "after a batch like it: {counts:?}");
    }
}

/// An event as the cost benchmark publishes it, stored: about 900 bytes of JSON.
fn invoice(i: usize) -> String {
    let lines: Vec<String> = (1..=6)
        .map(|n| {
            format!(
                r#"{{"sku":"SKU-{:05}","name":"Item {n} of order {i}","quantity":{},"unit_amount":{},"tax_rate":"0.19"}}"#,
                (i * 7919 + n * 104_729) % 100_000,
                1 + (i + n) % 4,
                199 + (i * 31 + n * 17) % 5000
            )
        })
        .collect();
    format!(
        r#"{{"id":"evt_01KBX{i:020}","tenant_id":"t1","event_type":"order.paid","data":{{"order":{i},"amount":1250,"customer":{{"id":"cus_{:08}","email":"buyer{i}@example.com"}},"lines":[{}]}},"created_at":"2026-12-04T20:00:00.123Z","webhooks":["wh_01KBXABCDEF0123456789"]}}"#,
        i * 37 % 99_991,
        lines.join(",")
    )
}
