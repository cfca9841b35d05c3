use crate::error::AppError;
use crate::tiers::model::{ApproveInput, RunCounts, TierConfigInput, TierQueue, WorkloadRow};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::state::app_state;
    pub use crate::tiers::model::{Approval, Direction, TierConfig};
    pub use crate::tiers::{service, workload};
}

/// The queue page. `direction` is "promotion", "demotion" or empty (both).
#[server(endpoint = "tiers/queue")]
pub async fn load_tier_queue(direction: String) -> Result<TierQueue, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let direction = match direction.trim() {
        "" => None,
        s => Some(
            Direction::parse(s)
                .ok_or_else(|| AppError::field("direction", crate::i18n::Key::ErrInvalidChoice))?,
        ),
    };
    service::queue(&app_state()?.db, &user, direction).await
}

#[server(endpoint = "tiers/approve")]
pub async fn approve_tier_change(input: ApproveInput) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    let approval = Approval::parse(&input)?;
    service::approve(&app_state()?.db, &user, &approval).await
}

#[server(endpoint = "tiers/reject")]
pub async fn reject_tier_change(proposal: i64, comment: String) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::reject(&app_state()?.db, &user, proposal, &comment).await
}

/// Back on the queue, which shows what the run found (`ran`).
#[server(endpoint = "tiers/reevaluate")]
pub async fn reevaluate_tiers() -> Result<RunCounts, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let counts = service::run_reevaluation(&app_state()?.db, Some(&user)).await?;
    leptos_axum::redirect("/tiers?ran=1");
    Ok(counts)
}

#[server(endpoint = "tiers/settings")]
pub async fn save_tier_settings(input: TierConfigInput) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    if !crate::auth::permissions::may_configure_tiers(&user) {
        return Err(AppError::Forbidden);
    }
    let cfg = TierConfig::parse(&input)?;
    service::save_config(&app_state()?.db, &user, &cfg).await?;
    // Back on the queue, which says so under the open settings.
    leptos_axum::redirect("/tiers?settings_saved=1");
    Ok(())
}

#[server(endpoint = "workload")]
pub async fn load_workload() -> Result<Vec<WorkloadRow>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    workload::workload(&app_state()?.db, &user).await
}
