//! The ways a request can go, named once for the model, the fluid mode,
//! the metrics and the bill.

/// Where a request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// Answered by CloudFront from its cache.
    EdgeHit,
    /// A CloudFront miss fetched from S3.
    EdgeS3,
    /// A CloudFront miss fetched from the web tier.
    EdgeOrigin,
    /// Straight to the origin (load balancer and web tier), no CDN.
    Origin,
}

impl Route {
    /// Number of routes.
    pub const COUNT: usize = 4;

    /// Every route, in index order.
    pub const ALL: [Route; Route::COUNT] = [
        Route::EdgeHit,
        Route::EdgeS3,
        Route::EdgeOrigin,
        Route::Origin,
    ];

    /// Position in [`Route::ALL`]: the index of per-route arrays.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the request reaches the load balancer and the web tier.
    pub fn reaches_origin(self) -> bool {
        matches!(self, Route::EdgeOrigin | Route::Origin)
    }

    /// Whether the request goes through CloudFront.
    pub fn via_cdn(self) -> bool {
        !matches!(self, Route::Origin)
    }
}

/// One value per route, indexed by [`Route::index`].
pub type PerRoute<T> = [T; Route::COUNT];
