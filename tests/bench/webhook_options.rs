//! What the delivery benchmark gives every webhook besides its URL, from the environment:
//! receiver authentication (`HOOKLINE_BENCH_AUTH`) and a payload filter
//! (`HOOKLINE_BENCH_FILTER`).

use serde_json::json;

/// The receiver authentication every webhook gets (`HOOKLINE_BENCH_AUTH`), for a receiver at
/// `url`.
pub fn auth(url: &str) -> Option<serde_json::Value> {
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    match std::env::var("HOOKLINE_BENCH_AUTH").ok()?.as_str() {
        "bearer" => Some(json!({"type": "bearer", "token": "bench-bearer-token-0123456789"})),
        "oauth2" => Some(json!({"type": "oauth2_client_credentials",
            "token_url": format!("http://{host}/oauth/token"),
            "client_id": "bench", "client_secret": "bench-secret"})),
        other => panic!("HOOKLINE_BENCH_AUTH is bearer or oauth2, not {other}"),
    }
}

/// With `HOOKLINE_BENCH_FILTER`: ten conditions, over the type and the payload, that every
/// event of the benchmark meets (so that each is evaluated in full).
pub fn filter() -> Option<serde_json::Value> {
    std::env::var("HOOKLINE_BENCH_FILTER").ok()?;
    Some(json!({
        "type": {"$startsWith": "bench.", "$neq": "bench.other"},
        "data": {
            "n": {"$gte": 0, "$lt": 1_000_000_000, "$nin": [-1, -2]},
            "note": {"$startsWith": "x", "$exists": true, "$not": {"$eq": ""}},
            "missing": {"$exists": false},
        },
        "$or": [{"data": {"n": {"$gte": 0}}}, {"type": "never"}],
    }))
}
