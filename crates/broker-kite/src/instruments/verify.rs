//! Checking the index tokens of spec §3 against Kite with one `GET /quote/ltp`
//! (kite-connect.md §8.3).

use crate::client::KiteClient;
use crate::error::KiteError;
use crate::limits::EndpointClass;
use domain::Segment;
use domain::ports::ContractError;

/// Confirm the index tokens of spec §3 / kite-connect.md §8.3 (NIFTY 50 256265, NIFTY BANK
/// 260105, SENSEX 265) with one `GET /quote/ltp` (the NFO/BFO dumps hold no index rows).
///
/// # Errors
/// [`ContractError::Mismatch`] naming the index when Kite reports another token or none.
pub async fn verify_index_tokens(
    client: &KiteClient,
    segments: &[Segment],
) -> Result<(), VerifyError> {
    let keys: Vec<String> = segments.iter().map(|s| quote_key(*s)).collect();
    let quotes = client
        .read(EndpointClass::Quote, "ltp", |k| {
            let keys = keys.clone();
            async move {
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                k.ltp(&refs).await
            }
        })
        .await?;
    for s in segments {
        let key = quote_key(*s);
        match quotes.get(&key) {
            Some(q) if Some(q.instrument_token) == s.index_token() => {}
            Some(q) => {
                return Err(VerifyError::Contract(ContractError::Mismatch(format!(
                    "{key}: Kite token {} != expected {}",
                    q.instrument_token,
                    s.index_token().unwrap_or_default()
                ))));
            }
            None => {
                return Err(VerifyError::Contract(ContractError::NotFound(format!(
                    "{key}: not returned by /quote/ltp"
                ))));
            }
        }
    }
    Ok(())
}

/// `NSE:NIFTY 50`, `NSE:NIFTY BANK`, `BSE:SENSEX` (kite-connect.md §8.3).
pub fn quote_key(segment: Segment) -> String {
    let exch = if segment.exchange().is_nse_group() {
        "NSE"
    } else {
        "BSE"
    };
    format!("{exch}:{}", segment.index_symbol())
}

/// Failure of [`verify_index_tokens`].
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Kite could not be asked.
    #[error(transparent)]
    Kite(#[from] KiteError),
    /// Kite disagrees.
    #[error(transparent)]
    Contract(#[from] ContractError),
}
