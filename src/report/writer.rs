//! The only code that writes output files: each one whole, or not at all.

use crate::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Held while a run's files are written: an interrupt waits for it, so a
/// run stopped by Ctrl-C leaves every earlier output as it was, or every
/// new one complete.
static WRITING: Mutex<()> = Mutex::new(());

/// Holds off interrupts until the guard is dropped.
pub fn hold_interrupts() -> MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stops the process with status 130 on Ctrl-C, once no output is being
/// written; nothing half-done is left behind (temporaries are only renamed
/// into place under [`hold_interrupts`]).
pub fn stop_cleanly_on_interrupt() {
    // Without a handler Ctrl-C still stops the run before anything is
    // written; the handler only adds the wait for a write in progress.
    let _ = ctrlc::set_handler(|| {
        let _writing = hold_interrupts();
        eprintln!("interrupted");
        std::process::exit(130);
    });
}

/// Writes `files` (name, bytes) into `dir`, creating it if needed. Each file
/// is written to a temporary name in the same folder and renamed into place,
/// so a reader never sees half a file and a failed run leaves the previous
/// files as they were.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // Write every temporary first, then rename them all: a failure while
    // writing leaves no file replaced.
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let tmp = dir.join(format!(".{name}.tmp-{}", unique_suffix()));
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            return Err(io(&tmp)(e));
        }
        staged.push((tmp, dir.join(name)));
    }
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, path) in staged {
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// A suffix no other writer uses at the same time, even one in another
/// container with the same process id sharing the folder (the shards of a
/// sweep on a shared volume): process id, clock and a counter.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_replaces_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/out");
        write_files(&out, &[("a.csv", b"old".to_vec())]).unwrap();
        let paths = write_files(
            &out,
            &[("a.csv", b"new".to_vec()), ("b.csv", b"b".to_vec())],
        )
        .unwrap();
        assert_eq!(paths.len(), 2);
        assert_eq!(std::fs::read(out.join("a.csv")).unwrap(), b"new");
        // No temporaries left behind.
        let names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn temporary_names_differ_between_calls() {
        assert_ne!(unique_suffix(), unique_suffix());
    }

    #[test]
    fn an_unwritable_folder_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let err = write_files(&file.join("sub"), &[("a.csv", vec![])]).unwrap_err();
        assert_eq!(err.exit_code(), 1);
    }
}
