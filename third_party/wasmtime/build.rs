//! Copies the C/C++ headers that wasmtime-c-api-impl generated (its
//! conf.h matches the features chosen in Cargo.toml) to
//! $SKIFF_WASMTIME_INCLUDE, where Skiff's CMake build looks for them.
use std::path::Path;
use std::{env, fs};

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=SKIFF_WASMTIME_INCLUDE");
    println!("cargo:rerun-if-changed=build.rs");
    let headers = env::var("DEP_WASMTIME_C_API_INCLUDE").expect("wasmtime-c-api-impl exports its include dir");
    if let Some(out) = env::var_os("SKIFF_WASMTIME_INCLUDE") {
        copy_tree(Path::new(&headers), Path::new(&out));
    }
}
