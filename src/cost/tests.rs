//! Hand-computed bills.

use super::*;
use crate::scenario::parse;

fn scenario(region: &str, rest: &str) -> Scenario {
    let text = format!("name = \"bill\"\nregion = \"{region}\"\n[traffic]\nrate = 10\n{rest}");
    parse(&text, "bill.toml").unwrap()
}

fn total(lines: &[CostLine], service: &str) -> f64 {
    lines
        .iter()
        .filter(|l| l.service == service)
        .map(|l| l.usd_month)
        .sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn a_month_is_30_44_days() {
    assert!(close(HOURS_PER_MONTH, 30.44 * 24.0));
    assert_eq!(SECONDS_PER_MONTH, 730.56 * 3600.0);
}

#[test]
fn a_fixed_fleet_is_price_times_730_56_hours() {
    let s = scenario("us-east-1", "[web]\ninstance = \"m5.large\"\n");
    let u = Usage {
        web_instances: 1.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    let ec2 = &bill[0];
    assert_eq!(ec2.service, "ec2");
    assert_eq!(ec2.quantity, 730.56);
    assert_eq!(ec2.unit_usd, Some(0.096));
    // Exactly the price times 730.56 hours: 0.096 x 730.56 = 70.13376.
    assert_eq!(ec2.usd_month, 0.096 * 730.56);
    assert!(close(ec2.usd_month, 70.13376));
    // Its 8 GB gp3 root volume: 8 GB-months x 0.08 = 0.64.
    assert!(close(total(&bill, "ebs"), 0.64));
    // Nothing else is used: no data out, so the data-transfer line is zero.
    assert_eq!(total(&bill, "data_transfer"), 0.0);
    assert_eq!(bill.len(), 3);
}

#[test]
fn rds_multi_az_doubles_the_primary_and_replicas_are_single_az() {
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.r5.large\"\nmulti_az = true\nread_replicas = 2\n",
    );
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    // db.r5.large is 0.24 USD/h Single-AZ; Multi-AZ factor 2 from services.csv.
    // Primary: 730.56 h x 0.48 = 350.6688. Replicas: 2 x 730.56 h x 0.24 = 350.6688.
    let rds: Vec<_> = bill.iter().filter(|l| l.service == "rds").collect();
    assert_eq!(rds.len(), 2);
    assert!(close(rds[0].usd_month, 350.6688), "{}", rds[0].usd_month);
    assert!(close(rds[1].usd_month, 350.6688), "{}", rds[1].usd_month);
}

const TWO_BEHIND_AN_ALB: &str =
    "[load_balancer]\nrules = 30\n[web]\ninstance = \"m5.large\"\ncount = 2\n";

#[test]
fn alb_bills_hours_and_the_largest_lcu_dimension() {
    let s = scenario("us-east-1", TWO_BEHIND_AN_ALB);
    let u = Usage {
        web_instances: 2.0,
        lb_requests_per_sec: 50.0,
        lb_gb_per_hour: 0.5,
        lb_active_connections: 120.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    let elb: Vec<_> = bill.iter().filter(|l| l.service == "elb").collect();
    // Hours: 730.56 x 0.0225 = 16.4376.
    assert!(close(elb[0].usd_month, 16.4376));
    // One request per connection: 50 new connections/s / 25 = 2 LCU;
    // 120 active / 3000 = 0.04; 0.5 GB/h / 1 = 0.5;
    // (30 - 10 free) rules x 50 req/s = 1000 evaluations/s / 1000 = 1.
    // Largest: 2 LCU -> 2 x 730.56 = 1461.12 LCU-hours x 0.008 = 11.68896.
    assert!(close(elb[1].quantity, 1461.12), "{}", elb[1].quantity);
    assert!(close(elb[1].usd_month, 11.68896));
    assert!(close(total(&bill, "elb"), 28.12656));

    // Ten requests per connection: 5 new connections/s = 0.2 LCU, so rule
    // evaluations (1 LCU) decide: 730.56 x 0.008 = 5.84448.
    let mut s = s;
    s.load_balancer.as_mut().unwrap().requests_per_connection = 10.0;
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "elb"), 16.4376 + 5.84448));
}

#[test]
fn nlb_and_classic_lb_from_their_rows() {
    let mut s = scenario("us-east-1", TWO_BEHIND_AN_ALB);
    let u = Usage {
        lb_requests_per_sec: 1600.0,
        lb_gb_per_hour: 0.5,
        ..Usage::default()
    };
    s.load_balancer.as_mut().unwrap().kind = LbKind::Nlb;
    // 1600 new TCP connections/s / 800 = 2 NLCU: 730.56 x 0.0225 + 2 x 730.56 x 0.006.
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "elb"), 16.4376 + 8.76672));
    s.load_balancer.as_mut().unwrap().kind = LbKind::Elb;
    // 0.5 GB/h x 730.56 h = 365.28 GB x 0.008 = 2.92224; hours 730.56 x 0.025 = 18.264.
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "elb"), 18.264 + 2.92224));
}

#[test]
fn cloudfront_and_s3_from_published_prices() {
    let s = scenario(
        "us-east-1",
        "[cdn]\n[[traffic.mix]]\nname = \"static\"\nshare = 1.0\ncacheable = true\n[web]\ninstance = \"m5.large\"\n",
    );
    let u = Usage {
        cdn_gb: 1000.0,
        cdn_requests: 10_000_000.0,
        s3_get_requests: 1_000_000.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    // 1000 GB x 0.085 = 85; 10M / 10,000 x 0.01 = 10; S3: 1M / 1,000 x 0.0004 = 0.4.
    assert!(close(total(&bill, "cloudfront"), 95.0));
    assert!(close(total(&bill, "s3"), 0.4));
    // Across the first boundary: 20 TB = 20,480 GB = 10,240 x 0.085 + 10,240 x 0.080.
    let u = Usage {
        cdn_gb: 20_480.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "cloudfront"), 870.4 + 819.2));
}

#[test]
fn data_transfer_is_tiered_with_the_first_100_gb_free() {
    let s = scenario("us-east-1", "[web]\ninstance = \"m5.large\"\n");
    let bill_for = |gb: f64| {
        let u = Usage {
            internet_gb: gb,
            ..Usage::default()
        };
        total(&monthly_bill(&s, &u).unwrap(), "data_transfer")
    };
    assert_eq!(bill_for(80.0), 0.0);
    // 10,340 GB: 100 free, 10,140 x 0.09 up to 10 TB (10,240 GB), 100 x 0.085.
    assert!(
        close(bill_for(10_340.0), 912.6 + 8.5),
        "{}",
        bill_for(10_340.0)
    );
}

#[test]
fn dynamodb_sessions_cost_half_a_read_unit_each() {
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\nsessions = \"dynamodb\"\n",
    );
    let u = Usage {
        session_reads: 1_000_000.0,
        ..Usage::default()
    };
    // 1M reads x 0.5 RRU x 0.125 USD per million RRU = 0.0625.
    assert!(close(
        total(&monthly_bill(&s, &u).unwrap(), "dynamodb"),
        0.0625
    ));
}

#[test]
fn a_missing_price_is_an_error_only_when_the_bill_needs_it() {
    // io1 in us-east-1: 100 GB x 0.125 and 1,000 IOPS x 0.10, each twice
    // for a Multi-AZ standby.
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.m5.large\"\n\
         multi_az = true\nstorage = { type = \"io1\", size_gb = 100, iops = 1000 }\n",
    );
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    let line = |unit: &str| {
        bill.iter()
            .find(|l| l.service == "rds" && l.unit == unit)
            .unwrap_or_else(|| panic!("no {unit} line in {bill:?}"))
            .usd_month
    };
    assert!(close(line("GB-months"), 2.0 * 100.0 * 0.125));
    assert!(close(line("IOPS-months"), 2.0 * 1000.0 * 0.10));
    // No io1 storage price was found for eu-west-1.
    let s = scenario(
        "eu-west-1",
        "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.m5.large\"\n\
         storage = { type = \"io1\", size_gb = 100, iops = 1000 }\n",
    );
    let e = monthly_bill(&s, &Usage::default()).unwrap_err();
    match &e {
        Error::MissingPrice { what, region } => {
            assert_eq!(what, "rds: io1 storage, Single-AZ");
            assert_eq!(region, "eu-west-1");
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("rds: io1 storage, Single-AZ in eu-west-1")
    );
    // gp2 is priced there: 100 GB x 2 volumes (Multi-AZ) x 0.127.
    let s = scenario(
        "eu-west-1",
        "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.m5.large\"\n\
         multi_az = true\nstorage = { type = \"gp2\", size_gb = 100 }\n",
    );
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    let storage = bill
        .iter()
        .find(|l| l.unit == "GB-months" && l.service == "rds");
    assert!(close(storage.unwrap().usd_month, 200.0 * 0.127), "{bill:?}");

    // Without a load balancer, and within the free 100 GB, it bills.
    let s = scenario("eu-west-1", "[web]\ninstance = \"m5.large\"\n");
    let u = Usage {
        web_instances: 1.0,
        internet_gb: 50.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    // m5.large in eu-west-1: 0.107 USD/h.
    assert!(close(bill[0].usd_month, 0.107 * 730.56));
    // Beyond it, the eu-west-1 transfer tiers apply: 400 GB x 0.09 = 36.
    let u = Usage {
        internet_gb: 500.0,
        ..u
    };
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "data_transfer"), 36.0));
    // eu-west-1 S3 storage is priced (10 GB x 0.023 = 0.23), and so are
    // its GET requests (1,000 x 0.0004 per 1,000).
    let s = scenario(
        "eu-west-1",
        "[web]\ninstance = \"m5.large\"\n[cdn]\ns3_storage_gb = 10\n",
    );
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "s3"), 0.23));
    let u = Usage {
        s3_get_requests: 1000.0,
        ..u
    };
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(close(total(&bill, "s3"), 0.23 + 0.0004), "{bill:?}");
}

#[test]
fn unlimited_surplus_credits_are_billed_per_vcpu_hour_where_priced() {
    // 100 vCPU-hours of surplus on a t3.micro at $0.05: $5.
    let s = scenario("us-east-1", "[web]\ninstance = \"t3.micro\"\n");
    let u = Usage {
        web_instances: 1.0,
        web_surplus_vcpu_hours: 100.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    let surplus = bill.iter().find(|l| l.unit == "vCPU-hours").unwrap();
    assert!(close(surplus.usd_month, 5.0));
    // T2 pays the same 0.05 per vCPU-hour, in eu-west-1 too (one price
    // for every region).
    for region in ["us-east-1", "eu-west-1"] {
        let s = scenario(
            region,
            "[web]\ninstance = \"t2.micro\"\ncredits = \"unlimited\"\n",
        );
        let bill = monthly_bill(&s, &u).unwrap();
        let surplus = bill.iter().find(|l| l.unit == "vCPU-hours").unwrap();
        assert!(close(surplus.usd_month, 5.0), "{region}");
        assert!(surplus.item.contains("t2.micro"), "{}", surplus.item);
    }
}

#[test]
fn provisioned_environments_bill_their_duration_at_their_own_price() {
    // 2 provisioned environments of 1 GB: 2 x 730.56 h x 3600 s GB-s
    // configured. Of 1,000,000 GB-s run, 400,000 ran on them: at
    // 0.0000097222 (us-east-1) or 0.0000108407 (eu-west-1), the other
    // 600,000 at the first on-demand tier, 0.0000166667.
    for (region, configured, on_them) in [
        ("us-east-1", 0.0000041667, 0.0000097222),
        ("eu-west-1", 0.0000046460, 0.0000108407),
    ] {
        let s = scenario(
            region,
            "[serverless]\nshare = 1.0\n[serverless.lambda]\nmemory_mb = 1024\nprovisioned = 2\n",
        );
        let u = Usage {
            serverless: Some(crate::cost::ServerlessUsage {
                lambda_gb_seconds: 1e6,
                lambda_provisioned_gb_seconds: 4e5,
                ..Default::default()
            }),
            ..Usage::default()
        };
        let bill = monthly_bill(&s, &u).unwrap();
        let line = |what: &str| {
            bill.iter()
                .find(|l| l.service == "lambda" && l.item.contains(what))
                .unwrap_or_else(|| panic!("{region}: no {what} line in {bill:?}"))
                .usd_month
        };
        assert!(close(line("on on-demand"), 6e5 * 0.0000166667), "{region}");
        assert!(close(line("on provisioned"), 4e5 * on_them), "{region}");
        assert!(
            close(
                line("provisioned concurrency"),
                2.0 * 730.56 * 3600.0 * configured
            ),
            "{region}"
        );
    }
}

#[test]
fn queries_crossing_azs_are_billed_both_ways() {
    // Three instances in a, b, c; the primary in a, replicas in a and b.
    // Writes leave the primary's AZ from 2 of 3 instances; reads go to a
    // replica in another AZ for 4 of the 6 (instance, replica) pairs. So
    // each served request moves (2 x 2/3 + 1 x 2/3) x 1000 = 2000 bytes
    // across AZs.
    let s = scenario(
        "us-east-1",
        "[[traffic.mix]]\nname = \"api\"\nshare = 1.0\ndb_reads = 2\ndb_writes = 1\n\
         [load_balancer]\n[web]\ninstance = \"m5.large\"\ncount = 3\nazs = [\"a\", \"b\", \"c\"]\n\
         [database]\ninstance = \"db.m5.large\"\nread_replicas = 2\nbytes_per_query = 1000\n",
    );
    let cp = crate::spec::plan_checkpoints(&s).remove(0);
    let w = crate::fluid::evaluate(&s, &cp);
    let served = w.routes.served_on(crate::route::Route::Origin) as f64;
    let u = Usage::from_window(&s, &w);
    let expected_gb = served * 2000.0 / BYTES_PER_GB * SECONDS_PER_MONTH / w.measured_secs;
    assert!(
        close(u.cross_az_gb, expected_gb),
        "{} vs {expected_gb}",
        u.cross_az_gb
    );
    let bill = monthly_bill(&s, &u).unwrap();
    let line = bill
        .iter()
        .find(|l| l.item.starts_with("cross-AZ"))
        .unwrap();
    assert!(close(line.usd_month, expected_gb * 0.02));
    // A single AZ moves nothing across.
    let one_az = scenario(
        "us-east-1",
        "[[traffic.mix]]\nname = \"api\"\nshare = 1.0\ndb_reads = 2\n\
         [web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.m5.large\"\n",
    );
    let w = crate::fluid::evaluate(&one_az, &crate::spec::plan_checkpoints(&one_az).remove(0));
    assert_eq!(Usage::from_window(&one_az, &w).cross_az_gb, 0.0);
}

#[test]
fn static_content_in_s3_is_billed_per_gb_month() {
    // 80 TB in S3 Standard: 50 TB at 0.023 and 30 TB at 0.022 per GB-month.
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[cdn]\ns3_storage_gb = 81920\n",
    );
    let bill = monthly_bill(
        &s,
        &Usage {
            web_instances: 1.0,
            ..Usage::default()
        },
    )
    .unwrap();
    let storage = bill.iter().find(|l| l.service == "s3").unwrap();
    assert!(close(
        storage.usd_month,
        51_200.0 * 0.023 + 30_720.0 * 0.022
    ));
}

#[test]
fn an_alb_in_eu_west_1_bills_its_hours_and_lcus() {
    let s = scenario("eu-west-1", TWO_BEHIND_AN_ALB);
    let u = Usage {
        web_instances: 2.0,
        lb_requests_per_sec: 50.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    // 730.56 h x 0.0252 = 18.410112; LCUs: 50 new connections/s / 25 = 2
    // (rules: 20 evaluated x 50/s = 1000/s = 1 LCU), 2 x 730.56 x 0.008 = 11.68896.
    assert!(close(total(&bill, "elb"), 18.410112 + 11.68896));
}

#[test]
fn postgres_is_billed_at_its_own_price() {
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[database]\nengine = \"postgres\"\ninstance = \"db.m5.large\"\nmulti_az = true\n",
    );
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    // db.m5.large PostgreSQL: 0.178 USD/h (MySQL is 0.171); Multi-AZ x 2:
    // 730.56 x 0.356 = 260.07936.
    assert!(close(total(&bill, "rds"), 260.07936), "{bill:?}");
    assert!(
        bill.iter()
            .any(|l| l.item.contains("postgres primary (Multi-AZ)"))
    );
}

#[test]
fn aurora_bills_each_instance_and_its_io() {
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[database]\nengine = \"aurora-mysql\"\ninstance = \"db.r6g.large\"\nread_replicas = 1\n",
    );
    let u = Usage {
        db_read_queries: 30_000_000.0,
        db_write_queries: 10_000_000.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    let rds: Vec<_> = bill.iter().filter(|l| l.service == "rds").collect();
    // Writer and one replica, each 730.56 h x 0.26 = 189.9456: no doubling.
    assert!(close(rds[0].usd_month, 189.9456));
    assert!(close(rds[1].usd_month, 189.9456));
    // 30M reads x 1 I/O + 10M writes x 1 I/O = 40M I/Os x 0.20 per million = 8.
    assert_eq!(rds[2].quantity, 40_000_000.0);
    assert!(close(rds[2].usd_month, 8.0));
    assert_eq!(rds.len(), 3);
    // I/Os per query are scenario keys.
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[database]\nengine = \"aurora-postgresql\"\ninstance = \"db.r6g.large\"\n\
         [billing]\naurora_ios_per_read = 0.5\naurora_ios_per_write = 3\n",
    );
    let bill = monthly_bill(&s, &u).unwrap();
    // 15M + 30M = 45M I/Os x 0.20 per million = 9.
    let io = bill.iter().find(|l| l.unit == "I/O requests").unwrap();
    assert!(close(io.usd_month, 9.0));
    // eu-west-1's Aurora I/O price is 0.22 per million.
    let s = scenario(
        "eu-west-1",
        "[web]\ninstance = \"m5.large\"\n[database]\nengine = \"aurora-postgresql\"\ninstance = \"db.r6g.large\"\n\
         [billing]\naurora_ios_per_read = 0.5\naurora_ios_per_write = 3\n",
    );
    let bill = monthly_bill(&s, &u).unwrap();
    let io = bill.iter().find(|l| l.unit == "I/O requests").unwrap();
    assert!(close(io.usd_month, 45.0 * 0.22), "{io:?}");
}

#[test]
fn rds_surplus_credits_are_billed_per_engine() {
    let u = Usage {
        db_surplus_vcpu_hours: 10.0,
        ..Usage::default()
    };
    let credits = |engine: &str, class: &str| -> Result<f64, Error> {
        let s = scenario(
            "us-east-1",
            &format!(
                "[web]\ninstance = \"m5.large\"\n[database]\nengine = \"{engine}\"\ninstance = \"{class}\"\ncredits = \"unlimited\"\n"
            ),
        );
        let bill = monthly_bill(&s, &u)?;
        Ok(bill
            .iter()
            .filter(|l| l.unit == "vCPU-hours")
            .map(|l| l.usd_month)
            .sum())
    };
    // 10 vCPU-hours x 0.075 (RDS T3) = 0.75; x 0.09 (Aurora) = 0.9.
    assert!(close(credits("mysql", "db.t3.micro").unwrap(), 0.75));
    assert!(close(credits("postgres", "db.t3.large").unwrap(), 0.75));
    assert!(close(credits("aurora-mysql", "db.t3.medium").unwrap(), 0.9));
    // No price for db.t2 surplus credits.
    let e = credits("mysql", "db.t2.micro").unwrap_err().to_string();
    assert!(e.contains("rds: T2 CPU credits"), "{e}");
}

#[test]
fn root_volumes_follow_the_fleet_and_the_billing_key() {
    let u = Usage {
        web_instances: 2.5,
        ..Usage::default()
    };
    let s = scenario("eu-west-1", "[web]\ninstance = \"m5.large\"\n");
    // 2.5 instances x 8 GB x 0.088 = 1.76.
    assert!(close(total(&monthly_bill(&s, &u).unwrap(), "ebs"), 1.76));
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[billing]\nroot_volume_gb = 30\n",
    );
    // 2.5 x 30 GB x 0.08 = 6.
    assert!(close(total(&monthly_bill(&s, &u).unwrap(), "ebs"), 6.0));
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[billing]\nroot_volume_gb = 0\n",
    );
    assert!(
        !monthly_bill(&s, &u)
            .unwrap()
            .iter()
            .any(|l| l.service == "ebs")
    );
}

#[test]
fn the_free_tier_is_deducted_line_by_line() {
    let s = scenario(
        "us-east-1",
        "[load_balancer]\n[web]\ninstance = \"t3.micro\"\ncount = 2\n\
         [database]\ninstance = \"db.t3.micro\"\n\
         [cdn]\ns3_storage_gb = 3\n[billing]\nfree_tier = true\n",
    );
    let u = Usage {
        web_instances: 2.0,
        cdn_gb: 2048.0,
        cdn_requests: 4_000_000.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    let free: Vec<_> = bill
        .iter()
        .filter(|l| l.item.starts_with("free tier"))
        .collect();
    let amount = |service: &str| -> f64 {
        free.iter()
            .filter(|l| l.service == service)
            .map(|l| l.usd_month)
            .sum()
    };
    // EC2: 750 of the 1461.12 t3.micro hours x 0.0104.
    assert!(close(amount("ec2"), -750.0 * 0.0104));
    // EBS: 16 GB-months of root volumes, all within the 30 free: -16 x 0.08.
    assert!(close(amount("ebs"), -16.0 * 0.08));
    // RDS: the 730.56 h of db.t3.micro Single-AZ, within the 750: all free.
    assert!(close(amount("rds"), -730.56 * 0.017));
    assert!(close(total(&bill, "rds"), 0.0));
    // ALB: 730.56 h within 750: the hours are free (LCUs are not).
    assert!(close(amount("elb"), -730.56 * 0.0225));
    // S3: 3 GB within 5: storage free.
    assert!(close(total(&bill, "s3"), 0.0));
    // CloudFront: 1,024 of 2,048 GB x 0.085, all 4M requests x 0.01/10,000.
    assert!(close(amount("cloudfront"), -1024.0 * 0.085 - 400.0 * 0.01));
    // Off by default: no deductions.
    let s = scenario("us-east-1", "[web]\ninstance = \"t3.micro\"\n");
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(!bill.iter().any(|l| l.item.starts_with("free tier")));
    // Not eligible: Multi-AZ RDS and m5 instances pay in full.
    let s = scenario(
        "us-east-1",
        "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.t3.micro\"\nmulti_az = true\n[billing]\nfree_tier = true\n",
    );
    let bill = monthly_bill(&s, &u).unwrap();
    assert!(
        !bill
            .iter()
            .any(|l| l.item.starts_with("free tier") && (l.service == "rds" || l.service == "ec2"))
    );
}

#[test]
fn cloudfront_europe_tiers_reach_past_10_tb() {
    let s = scenario(
        "eu-west-1",
        "[web]\ninstance = \"m5.large\"\n[cdn]\nstatic_origin = \"web\"\n",
    );
    let u = Usage {
        cdn_gb: 20.0 * 1024.0,
        ..Usage::default()
    };
    let bill = monthly_bill(&s, &u).unwrap();
    // 10,240 GB x 0.085 + 10,240 GB x 0.080 = 1689.6.
    assert!(close(total(&bill, "cloudfront"), 1689.6));
}

#[test]
fn aurora_bills_its_cluster_volume_once() {
    // 200 GB stored x 0.10 USD per GB-month, whatever the replicas: one
    // cluster volume. Without a working set there is no storage line.
    let with = |region: &str, extra: &str| {
        scenario(
            region,
            &format!(
                "[web]\ninstance = \"m5.large\"\n[database]\nengine = \"aurora-mysql\"\n\
                 instance = \"db.r6g.large\"\nread_replicas = 2\n{extra}"
            ),
        )
    };
    let storage = |bill: &[CostLine]| -> Vec<f64> {
        bill.iter()
            .filter(|l| l.item.contains("cluster storage"))
            .map(|l| l.usd_month)
            .collect()
    };
    let s = with("us-east-1", "working_set_gb = 200\n");
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    assert_eq!(storage(&bill).len(), 1);
    assert!(close(storage(&bill)[0], 20.0), "{bill:?}");
    let s = with("us-east-1", "");
    assert!(storage(&monthly_bill(&s, &Usage::default()).unwrap()).is_empty());
    // eu-west-1: 50 GB x 0.11.
    let s = with("eu-west-1", "working_set_gb = 50\n");
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    assert!(close(storage(&bill)[0], 5.5), "{bill:?}");
}
