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
    /// API Gateway, Lambda and DynamoDB.
    Serverless,
}

impl Route {
    /// Number of routes.
    pub const COUNT: usize = 5;

    /// Every route, in index order.
    pub const ALL: [Route; Route::COUNT] = [
        Route::EdgeHit,
        Route::EdgeS3,
        Route::EdgeOrigin,
        Route::Origin,
        Route::Serverless,
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
        matches!(self, Route::EdgeHit | Route::EdgeS3 | Route::EdgeOrigin)
    }
}

/// One value per route, indexed by [`Route::index`].
pub type PerRoute<T> = [T; Route::COUNT];

/// Why a request failed (HTTP 5xx), for availability by cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCause {
    /// Sent to, or in flight on, a web instance that is down.
    InstanceDown,
    /// Its query found the database (primary, or every replica) down.
    DbDown,
    /// Its query found the database's connections all taken.
    DbConnections,
}

impl ErrorCause {
    /// Number of causes.
    pub const COUNT: usize = 3;

    /// Every cause, in index order.
    pub const ALL: [ErrorCause; ErrorCause::COUNT] = [
        ErrorCause::InstanceDown,
        ErrorCause::DbDown,
        ErrorCause::DbConnections,
    ];

    /// Position in [`ErrorCause::ALL`].
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Counts per cause with all of `n` on `cause`.
    pub fn only(cause: ErrorCause, n: u64) -> [u64; ErrorCause::COUNT] {
        let mut by = [0; ErrorCause::COUNT];
        by[cause.index()] = n;
        by
    }

    /// The output column counting it.
    pub fn column(self) -> &'static str {
        match self {
            ErrorCause::InstanceDown => "error_instance_down",
            ErrorCause::DbDown => "error_db_down",
            ErrorCause::DbConnections => "error_db_connections",
        }
    }
}
