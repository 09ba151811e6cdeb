//! The `hallq` binary: all roles of the hall in one program.

fn main() -> std::process::ExitCode {
    match hallq::cli::main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
