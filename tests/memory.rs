//! Memory does not grow with the number of requests simulated.
//!
//! A counting allocator records the peak of live heap bytes while the same
//! M/M/8 queue (utilisation 0.8) is simulated with 10x more requests: the
//! service time is 10x shorter and the rate 10x higher, so the queue's
//! behaviour, the window and the number of timeline minutes stay the same
//! and only the request count changes.

use simscale::run::{RunOptions, simulate};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests in this binary share the counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn peak_bytes(rate: f64, cpu: &str) -> (usize, u64) {
    let text = format!(
        r#"
name = "memory"
[simulation]
mode = "des"
window = "20m"
warmup = "1m"
[traffic]
rate = {rate}
[[traffic.mix]]
name = "default"
share = 1.0
web_cpu = {{ mean = "{cpu}", dist = "exponential" }}
[web]
instance = "m5.2xlarge"
workers = 1000
"#
    );
    let s = simscale::scenario::parse(&text, "memory.toml").expect("valid scenario");
    let opts = RunOptions {
        threads: Some(1),
        ..RunOptions::default()
    };
    // Warm the catalog and the thread pool, then measure from here.
    let _ = simulate(&s, &opts).expect("run");
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = simulate(&s, &opts).expect("run");
    let requests = r.checkpoints[0].window.counts.requests;
    (PEAK.load(Ordering::Relaxed) - base, requests)
}

#[test]
fn peak_memory_does_not_grow_with_requests() {
    let _one_at_a_time = SERIAL.lock().unwrap();
    let (small, n_small) = peak_bytes(640.0, "10ms");
    let (large, n_large) = peak_bytes(6400.0, "1ms");
    assert!(n_large > 9 * n_small, "{n_small} vs {n_large} requests");
    // Per-minute histograms fill up with more distinct values at first, so
    // allow a little growth, but nothing near the 10x in requests.
    assert!(
        (large as f64) < 1.5 * small as f64,
        "peak heap {small} B for {n_small} requests, {large} B for {n_large}"
    );
}
