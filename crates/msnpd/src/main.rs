use std::process::ExitCode;

fn main() -> ExitCode {
    msnpd::cli::main()
}
