//! Wall time of one fluid evaluation: a 24-hour checkpoint (1,440 one-minute
//! steps, daily cycle) of `scenarios/05-scale-out.toml` at one million users.

use criterion::{Criterion, criterion_group, criterion_main};
use simscale::spec::{Checkpoint, Users, plan_checkpoints};
use std::hint::black_box;

fn day_at_a_million(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/05-scale-out.toml");
    let mut s = simscale::scenario::load(&path).expect("scenario loads");
    s.simulation.horizon = None;
    if let simscale::spec::Load::Users { users, .. } = &mut s.traffic.load {
        *users = Users::Constant(1_000_000.0);
    }
    let cp: Checkpoint = plan_checkpoints(&s).remove(0);
    assert_eq!(cp.window.as_secs_f64(), 86_400.0);
    c.bench_function("fluid_05_scale_out_1M_users_24h", |b| {
        b.iter(|| black_box(simscale::fluid::evaluate(black_box(&s), black_box(&cp))))
    });
}

criterion_group!(benches, day_at_a_million);
criterion_main!(benches);
