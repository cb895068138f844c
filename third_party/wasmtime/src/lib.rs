//! Re-exports Wasmtime's C API so that cargo emits it as a static library.
pub use wasmtime_c_api::*;
