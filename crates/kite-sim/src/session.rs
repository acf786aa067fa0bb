//! The session file the simulator hands to clients: the JSON of `broker_kite::SessionFile`
//! (`{"user_id", "user_name", "access_token", "login_time", "date", "api_key"}`), written
//! atomically with mode 0600.

use domain::time::IstDateTime;
use std::path::{Path, PathBuf};

/// The session file's bytes (pretty JSON and a final newline): user `user_id`
/// ("Kestrel Simulator"), the API key and access token, `login_time` = `now` as
/// `YYYY-MM-DD HH:MM:SS` IST and `date` = its IST date.
pub fn session_json(user_id: &str, api_key: &str, access_token: &str, now: IstDateTime) -> Vec<u8> {
    let v = serde_json::json!({
        "user_id": user_id,
        "user_name": "Kestrel Simulator",
        "access_token": access_token,
        "login_time": now.format("%Y-%m-%d %H:%M:%S").to_string(),
        "date": now.date_naive().format("%Y-%m-%d").to_string(),
        "api_key": api_key,
    });
    let mut json = serde_json::to_vec_pretty(&v).unwrap_or_default();
    json.push(b'\n');
    json
}

/// Write `bytes` to `path` atomically with mode 0600 (directory created 0700).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&dir)?;
    }
    let name = path.file_name().map_or_else(
        || "kite_session.json".into(),
        |n| n.to_string_lossy().to_string(),
    );
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::ist_hms;

    #[test]
    fn the_file_has_the_session_fields_and_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/kite_session.json");
        let now = ist_hms(
            chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
            8,
            1,
            2,
        );
        write_private(&path, &session_json("SIM001", "k", "tok", now)).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["user_id"], "SIM001");
        assert_eq!(v["access_token"], "tok");
        assert_eq!(v["api_key"], "k");
        assert_eq!(v["date"], "2024-06-03");
        assert_eq!(v["login_time"], "2024-06-03 08:01:02");
        assert!(v.get("api_secret").is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
