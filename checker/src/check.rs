//! `sealwright check`: model-check the engine family.

/// Runs every scenario; there are none until the model lands.
pub fn run() -> anyhow::Result<()> {
    println!(
        "sealwright check: no scenarios are defined yet; the model arrives with the next milestone."
    );
    Ok(())
}
