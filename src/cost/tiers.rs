//! Prices that fall as the month's volume grows.

/// One tier: its width in the quantity's unit (`f64::INFINITY` for the last)
/// and the `data/services.csv` item that prices it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    /// Width of the tier.
    pub width: f64,
    /// The service fact's item text.
    pub item: &'static str,
}

/// A quantity split over tiers, with the amount of each part.
#[derive(Clone, Debug, PartialEq)]
pub struct Tiered {
    /// `(quantity in the tier, unit price, amount)` for every tier reached.
    pub parts: Vec<(f64, f64, f64)>,
    /// Sum of the amounts.
    pub usd: f64,
}

impl Tiered {
    /// "100 x 0 + 9,900 x 0.09".
    pub fn describe(&self) -> String {
        if self.parts.is_empty() {
            return "nothing used".to_string();
        }
        self.parts
            .iter()
            .map(|(q, p, _)| format!("{q:.3} x {p}"))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Prices `quantity` over `tiers`, looking up a tier's price only when the
/// quantity reaches into it; `price` fails (with the item) when a needed
/// price is missing.
pub fn price_tiers<E>(
    quantity: f64,
    tiers: &[Tier],
    mut price: impl FnMut(&'static str) -> Result<f64, E>,
) -> Result<Tiered, E> {
    let mut left = quantity.max(0.0);
    let mut parts = Vec::new();
    for tier in tiers {
        if left <= 0.0 {
            break;
        }
        let q = left.min(tier.width);
        let p = price(tier.item)?;
        parts.push((q, p, q * p));
        left -= q;
    }
    // From +0.0: an empty sum of floats is -0.0, shown as "-0.00".
    let usd = parts.iter().fold(0.0, |sum, (_, _, a)| sum + a);
    Ok(Tiered { parts, usd })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: [Tier; 3] = [
        Tier {
            width: 100.0,
            item: "free",
        },
        Tier {
            width: 900.0,
            item: "a",
        },
        Tier {
            width: f64::INFINITY,
            item: "b",
        },
    ];

    fn price(item: &'static str) -> Result<f64, &'static str> {
        match item {
            "free" => Ok(0.0),
            "a" => Ok(0.10),
            _ => Err(item),
        }
    }

    #[test]
    fn splits_across_tiers_and_looks_up_only_what_is_reached() {
        // 50 units stay in the free tier.
        let t = price_tiers(50.0, &T, price).unwrap();
        assert_eq!(t.usd, 0.0);
        // 600 units: 100 free + 500 x 0.10 = 50.
        let t = price_tiers(600.0, &T, price).unwrap();
        assert_eq!(t.parts.len(), 2);
        assert!((t.usd - 50.0).abs() < 1e-9);
        // 1,000 units exactly fill the second tier: the third is not needed.
        assert!(price_tiers(1000.0, &T, price).is_ok());
        // Beyond it, the missing price is an error naming the item.
        assert_eq!(price_tiers(1000.5, &T, price), Err("b"));
        // Nothing used costs +0.0, not the -0.0 an empty float sum gives
        // (shown "-0.00").
        let t = price_tiers(0.0, &T, price).unwrap();
        assert!(t.usd == 0.0 && t.usd.is_sign_positive());
        assert_eq!(format!("{:.2}", t.usd), "0.00");
    }
}
